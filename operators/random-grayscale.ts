import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { ErrorHandler, HandlerName } from '../sources/handlers.js';
import type { Image, Sample, SampleIdentity } from '../sources/sample.js';
import { grayscale3 } from './image/color-ops.js';
import { imageStage } from './internal/image-stage.js';
import { resolveGrayscale } from './internal/resolve-grayscale.js';
import { sampleRandom } from './internal/sample-random.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const RANDOM_GRAYSCALE_KEYS = optionKeys<RandomGrayscaleOptions>({
  p: true,
  seed: true,
  fields: true,
  handler: true,
  onSeed: true,
});

/** Options of {@link randomGrayscale} (and, but for `fields` and `handler`, of {@link clipRandomGrayscale}). */
export interface RandomGrayscaleOptions {
  /** Probability that a sample (for {@link clipRandomGrayscale}: each clip) is turned grey, in [0, 1] (SimCLR and MoCo-v2 use 0.2). @default 0.2 */
  readonly p?: number;
  /** Seed of the per-sample (per-clip) decisions. @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /** The image fields to turn grey. @default every field whose value is a decoded `Image` */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), or whose image is not
   * decoded, not 8-bit, or has other than 1 or 3 channels (`'random-grayscale'`): it is skipped
   * and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
}

/**
 * Turns each image grey with probability `p`, keeping its channels: torchvision's
 * `RandomGrayscale` (a positive augmentation of SimCLR and MoCo). The grey is the ITU-R 601-2
 * luma exactly as Pillow's `convert('L')` computes it, `(R*19595 + G*38470 + B*7471 + 0x8000) >> 16`
 * (~0.299 R + 0.587 G + 0.114 B, rounded), written to all three channels of a new `Uint8Array`.
 * A 1-channel image is already grey and is kept as it is. 8-bit images only (before `normalize`).
 *
 * The decision is drawn per sample from `(seed, 'random-grayscale', epoch, key)` (and the view,
 * inside {@link twoViews}): the same whatever the order or concurrency, different the next epoch;
 * all the image fields of a sample turn grey together. A sample left as it is is emitted as it
 * is; the input is never modified. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad p, seed, fields or handler.
 * @example
 * createLoader(source, decode({ image: 'rgb' }), randomResizedCrop({ size: 224, seed: 1 }), randomGrayscale({ p: 0.2, seed: 3 }), batch(64));
 * @see colorJitter
 */
export function randomGrayscale<S extends SampleIdentity = Sample>(
  options?: RandomGrayscaleOptions,
): MonoTypeOperatorFunction<S>;
export function randomGrayscale(options: RandomGrayscaleOptions = {}): OperatorFunction<Sample, Sample> {
  checkOptionKeys('randomGrayscale', options, RANDOM_GRAYSCALE_KEYS);
  const { p, fields, handler, seed } = resolveGrayscale('create a random grayscale', options);
  return imageStage({
    verb: 'grayscale',
    reason: 'random-grayscale',
    fields,
    handler,
    prepare: (sample) => (sampleRandom(seed, 'random-grayscale', sample).float() < p ? toGray : null),
  });
}

function toGray(image: Image): Image {
  const [H, W, C] = image.shape;
  if (!(image.data instanceof Uint8Array))
    throw new Error(
      'Cannot turn a Float32 image grey as randomGrayscale works on 8-bit pixels (put it before normalize)',
    );
  if (C === 1) return image;
  if (C !== 3)
    throw new Error(
      `Cannot turn an image of ${C} channels grey as it must have 1 or 3 (decode with image: 'rgb' or 'gray')`,
    );
  return { data: grayscale3(image.data, new Uint8Array(image.data.length)), shape: [H, W, C] };
}
