import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { ErrorHandler, HandlerName } from '../sources/handlers.js';
import type { Image, Sample, SampleIdentity } from '../sources/sample.js';
import { drawJitter, jitterFrames, type JitterDraw } from './internal/clip-jitter.js';
import { imageStage } from './internal/image-stage.js';
import { resolveColorJitter } from './internal/resolve-color-jitter.js';
import { sampleRandom } from './internal/sample-random.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const COLOR_JITTER_KEYS = optionKeys<ColorJitterOptions>({
  brightness: true,
  contrast: true,
  saturation: true,
  hue: true,
  p: true,
  seed: true,
  fields: true,
  handler: true,
  onSeed: true,
});

/** Options of {@link colorJitter} (and, but for `fields` and `handler`, of {@link clipColorJitter}). */
export interface ColorJitterOptions {
  /** Brightness factor drawn uniformly in `[max(0, 1 - b), 1 + b]` (b >= 0), or in `[low, high]` given (0 <= low <= high). 0: unchanged. @default 0 */
  readonly brightness?: number | readonly [number, number];
  /** Contrast factor, drawn as `brightness`. @default 0 */
  readonly contrast?: number | readonly [number, number];
  /** Saturation factor, drawn as `brightness`. @default 0 */
  readonly saturation?: number | readonly [number, number];
  /** Hue shift drawn uniformly in `[-h, h]` (0 <= h <= 0.5), or in `[low, high]` given (-0.5 <= low <= high <= 0.5), in turns of the colour wheel. @default 0 */
  readonly hue?: number | readonly [number, number];
  /** Probability that a sample (for {@link clipColorJitter}: each clip) is jittered at all, in [0, 1] (MoCo-v2's `RandomApply([ColorJitter(...)], p=0.8)`). @default 0.8 */
  readonly p?: number;
  /** Seed of the per-sample (per-clip) draws. @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /** The image fields to jitter. @default every field whose value is a decoded `Image` */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), or whose image is not
   * decoded, not 8-bit, or has other than 1 or 3 channels (`'color-jitter'`): it is skipped and
   * counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
}

/**
 * Randomly changes the brightness, contrast, saturation and hue of each image, with probability
 * `p`: torchvision's `ColorJitter` (in `RandomApply`), the colour augmentation of SimCLR and MoCo
 * (MoCo-v2: `colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 })`).
 * Per jittered sample: the four adjustments in a random order, each with its factor drawn
 * uniformly in its range (an option left at 0 is skipped). The adjustments are those torchvision
 * runs on PIL images, reproduced bit for bit on 8-bit data (checked against Pillow 9.4, the hue
 * on all 2^24 colours): brightness blends with black, contrast with the image's mean luma,
 * saturation with each pixel's luma (ITU-R 601-2), all as Pillow's `Image.blend` (single-precision
 * `in1 + f * (in2 - in1)`, truncated toward zero, clamped to [0, 255]); the hue goes through
 * Pillow's 8-bit HSV (hue + `trunc(h * 255)` modulo 256).
 *
 * 8-bit images only (`Uint8Array`, before `normalize`), of 1 or 3 channels; a 1-channel image
 * gets brightness and contrast only (saturation and hue leave grey as it is, as in torchvision).
 * The output is a new `Uint8Array` of the same shape; the input is never modified.
 *
 * The draws come per sample from `(seed, 'color-jitter', epoch, key)` (and the view, inside
 * {@link twoViews}): the same whatever the order or concurrency, different the next epoch; all the
 * image fields of a sample get the same factors. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad factor, p, seed, fields or handler.
 * @example
 * createLoader(source, decode({ image: 'rgb' }), randomResizedCrop({ size: 224, seed: 1 }),
 *   colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, seed: 2 }), batch(64));
 * @see randomGrayscale
 */
export function colorJitter<S extends SampleIdentity = Sample>(
  options?: ColorJitterOptions,
): MonoTypeOperatorFunction<S>;
export function colorJitter(options: ColorJitterOptions = {}): OperatorFunction<Sample, Sample> {
  checkOptionKeys('colorJitter', options, COLOR_JITTER_KEYS);
  const { ranges, p, fields, handler, seed, active } = resolveColorJitter('create a color jitter', options);
  return imageStage({
    verb: 'jitter the colours of',
    reason: 'color-jitter',
    fields,
    handler,
    prepare: (sample) => {
      if (!active) return null;
      const draw = drawJitter(sampleRandom(seed, 'color-jitter', sample), p, ranges);
      return draw === null ? null : (image) => jitter(image, draw);
    },
  });
}

function jitter(image: Image, draw: JitterDraw): Image {
  const [H, W, C] = image.shape;
  if (!(image.data instanceof Uint8Array))
    throw new Error(
      'Cannot jitter the colours of a Float32 image as colorJitter works on 8-bit pixels (put it before normalize)',
    );
  if (C !== 1 && C !== 3)
    throw new Error(
      `Cannot jitter the colours of an image of ${C} channels as it must have 1 or 3 (decode with image: 'rgb' or 'gray')`,
    );
  const data = image.data.slice();
  jitterFrames(data, C, data.length, draw);
  return { data, shape: [H, W, C] };
}
