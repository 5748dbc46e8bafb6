import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { ErrorHandler, HandlerName } from '../sources/handlers.js';
import type { Image, Sample, SampleIdentity } from '../sources/sample.js';
import { imageStage } from './internal/image-stage.js';
import { resizedCropBox } from './internal/resized-crop-box.js';
import { resizeBilinear } from './image/resize.js';
import { resolveResizedCrop } from './internal/resolve-resized-crop.js';
import { sampleRandom } from './internal/sample-random.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const RANDOM_RESIZED_CROP_KEYS = optionKeys<RandomResizedCropOptions>({
  size: true,
  scale: true,
  ratio: true,
  seed: true,
  fields: true,
  handler: true,
  onSeed: true,
});

/** Options of {@link randomResizedCrop} (and, but for `fields` and `handler`, of {@link clipRandomResizedCrop}, per frame). */
export interface RandomResizedCropOptions {
  /** Output (frame) size: `[height, width]`, or one number for a square. */
  readonly size: number | readonly [number, number];
  /** Bounds of the crop's area as a fraction of the image's (frame's) area, `0 < low <= high`. @default [0.08, 1] */
  readonly scale?: readonly [number, number];
  /** Bounds of the crop's aspect ratio (width / height), drawn log-uniformly, `0 < low <= high`. @default [3/4, 4/3] */
  readonly ratio?: readonly [number, number];
  /** Seed of the per-sample (per-clip) crops. @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /** The image fields to crop. @default every field whose value is a decoded `Image` */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), whose named field is
   * not a decoded image, or whose image is empty (`'random-resized-crop'`): it is skipped and
   * counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
}

/**
 * Crops a random part of each image and resizes it to `size`: torchvision's `RandomResizedCrop`,
 * the first augmentation of SimCLR and MoCo (a positive augmentation). The box follows
 * torchvision's algorithm: up to 10 tries of an area drawn uniformly in `scale` x the image's area
 * and an aspect ratio drawn log-uniformly in `ratio` (sides rounded as Python does), the first box
 * that fits placed uniformly; else the centre crop clamped to the ratio bounds. The box is then
 * resampled with Pillow's bilinear filter, which is what torchvision runs on PIL images
 * (antialiased when shrinking): bit-exact with Pillow's 8-bit path on `Uint8Array` images, the same
 * weights in floating point on `Float32Array` images (the element type is kept).
 *
 * Why JavaScript and not sharp: measured on this project's 2-core machine, JS resamples a 32 px
 * crop in ~25 us where one sharp call costs ~400 us, and at 224 px (from 375x500) both take
 * ~1 ms; and libvips' linear kernel does not reproduce Pillow's (upscaling differs by up to ~100
 * levels, it pre-shrinks with a box filter on large reductions), so sharp would change the semantics.
 *
 * The box is drawn per sample from `(seed, 'random-resized-crop', epoch, key)` (and the view,
 * inside {@link twoViews}), so a sample gets the same crop whatever the order or concurrency of
 * the stages before, and another one the next epoch; image fields of one sample that have the same
 * size get the same box (an image and its mask stay aligned). The input is never modified.
 * Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad size, scale, ratio, seed, fields or handler.
 * @example
 * createLoader(source, decode({ image: 'rgb' }), randomResizedCrop({ size: 224, seed: 1 }), randomFlip({ seed: 1 }), batch(64));
 * @see twoViews
 */
export function randomResizedCrop<S extends SampleIdentity = Sample>(
  options: RandomResizedCropOptions,
): MonoTypeOperatorFunction<S>;
export function randomResizedCrop(options: RandomResizedCropOptions): OperatorFunction<Sample, Sample> {
  checkOptionKeys('randomResizedCrop', options, RANDOM_RESIZED_CROP_KEYS);
  const { h, w, scale, ratio, fields, handler, seed } = resolveResizedCrop('create a random resized crop', options);
  return imageStage({
    verb: 'crop',
    reason: 'random-resized-crop',
    fields,
    handler,
    prepare: (sample) => (image) => {
      const [H, W, C] = image.shape;
      if (H < 1 || W < 1) throw new Error(`Cannot crop an image of ${H}x${W} as it must have at least one pixel`);
      const box = resizedCropBox(sampleRandom(seed, 'random-resized-crop', sample), H, W, scale, ratio);
      return { data: resizeBilinear(image.data, W, C, box, h, w), shape: [h, w, C] } satisfies Image;
    },
  });
}
