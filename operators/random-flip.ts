import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { ErrorHandler, HandlerName } from '../sources/handlers.js';
import type { Image, Sample, SampleIdentity } from '../sources/sample.js';
import { flipFrames } from './image/flip-frames.js';
import { imageStage } from './internal/image-stage.js';
import { resolveFlip } from './internal/resolve-flip.js';
import { sampleRandom } from './internal/sample-random.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const RANDOM_FLIP_KEYS = optionKeys<RandomFlipOptions>({
  p: true,
  direction: true,
  seed: true,
  fields: true,
  handler: true,
  onSeed: true,
});

/** Options of {@link randomFlip} (and, but for `fields` and `handler`, of {@link clipRandomFlip}). */
export interface RandomFlipOptions {
  /** Probability that a sample (for {@link clipRandomFlip}: each clip) is flipped, in [0, 1]. @default 0.5 */
  readonly p?: number;
  /** `'horizontal'` mirrors left and right, `'vertical'` top and bottom. @default 'horizontal' */
  readonly direction?: 'horizontal' | 'vertical';
  /** Seed of the per-sample (per-clip) decisions. @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /** The image fields to flip. @default every field whose value is a decoded `Image` */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`) or whose named field is
   * not a decoded image (`'random-flip'`): it is skipped and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
}

/**
 * Mirrors each sample's images with probability `p` (a positive augmentation). The decision is
 * drawn per sample from `(seed, 'random-flip', epoch, key)`, so it does not depend on the order or
 * concurrency of the stages before, and changes from epoch to epoch; all the image fields of a
 * sample are flipped together (an image and its mask stay aligned). A flipped image is one copy of
 * the HWC data (`Uint8Array` or `Float32Array`, kept); a sample left as it is is emitted as it is,
 * and the input is never modified. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad p, direction, seed, fields or handler.
 * @example
 * createLoader(source, decode(), randomCrop({ size: 32, pad: 4, seed: 1 }), randomFlip({ seed: 1 }), batch(64));
 * @see randomCrop
 */
export function randomFlip<S extends SampleIdentity = Sample>(options?: RandomFlipOptions): MonoTypeOperatorFunction<S>;
export function randomFlip(options: RandomFlipOptions = {}): OperatorFunction<Sample, Sample> {
  checkOptionKeys('randomFlip', options, RANDOM_FLIP_KEYS);
  const { p, direction, fields, handler, seed } = resolveFlip('create a random flip', options);
  const flip = (image: Image): Image => {
    const [H, W, C] = image.shape;
    return { data: flipFrames(image.data, 1, H, W, C, direction), shape: [H, W, C] };
  };
  return imageStage({
    verb: 'flip',
    reason: 'random-flip',
    fields,
    handler,
    prepare: (sample) => (sampleRandom(seed, 'random-flip', sample).float() < p ? flip : null),
  });
}
