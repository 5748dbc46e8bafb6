import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import { checkInteger, rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import type { Image, Sample, SampleIdentity } from '../sources/sample.js';
import { blurSeparable, defaultKernelSize, gaussianKernel } from './image/blur.js';
import { checkFields } from './internal/check-fields.js';
import { checkInterval, checkNumber, checkProbability, imageStage } from './internal/image-stage.js';
import { resolveSeed } from './internal/resolve-seed.js';
import { sampleRandom } from './internal/sample-random.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const GAUSSIAN_BLUR_KEYS = optionKeys<GaussianBlurOptions>({
  sigma: true,
  p: true,
  kernelSize: true,
  seed: true,
  fields: true,
  handler: true,
  onSeed: true,
});

/** Options of {@link gaussianBlur}. */
export interface GaussianBlurOptions {
  /** The Gaussian's standard deviation in pixels: drawn uniformly in `[low, high]` per sample, or fixed (one number); in (0, 1000]. @default [0.1, 2.0] */
  readonly sigma?: number | readonly [number, number];
  /** Probability that a sample is blurred, in [0, 1]. @default 0.5 */
  readonly p?: number;
  /**
   * Kernel size, an odd integer >= 1 (SimCLR: about a tenth of the image size). By default it is
   * chosen per sample from its sigma, `2 * ceil(3 * sigma) + 1` (covers +-3 sigma: 0.27% of the
   * Gaussian's mass left out).
   * @default 2 * ceil(3 * sigma) + 1
   */
  readonly kernelSize?: number;
  /** Seed of the per-sample draws. @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /** The image fields to blur. @default every field whose value is a decoded `Image` */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), or whose named field is
   * not a decoded image (`'gaussian-blur'`): it is skipped and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
}

/**
 * Blurs each image with probability `p`, with a Gaussian whose sigma is drawn per sample: the blur
 * of SimCLR and MoCo-v2 (`sigma` uniform in [0.1, 2.0], p 0.5), with the semantics of torchvision's
 * `GaussianBlur`: a normalised kernel sampled at integer offsets, the image padded by reflection
 * (edge pixel not repeated; a kernel wider than the image reflects again), 8-bit results rounded
 * half to even. (MoCo-v2's own code blurs with Pillow's `GaussianBlur`, a three-box
 * approximation; this is the true Gaussian.) Runs as two 1-D passes in JavaScript on
 * `Uint8Array` or `Float32Array` HWC data of any channel count (the element type is kept).
 *
 * Why JavaScript and not sharp's `blur` (measured on this project's 2-core machine): sharp's mask
 * stops at 20% amplitude by default (up to 29 levels off inside the image); even with a fine mask
 * libvips extends the edges by copying, not reflecting (up to ~45 levels off near the borders),
 * and its float path is offset by ~0.5 level on average; and one sharp call costs ~0.5-0.8 ms,
 * 10x this blur at 32 px. At 224 px sharp is the faster of the two (~1 ms against ~1-4 ms here,
 * growing with sigma), but not equivalent: run this stage on the worker pool when it limits.
 *
 * The draws (blur or not, sigma) come per sample from `(seed, 'gaussian-blur', epoch, key)` (and
 * the view, inside {@link twoViews}); all the image fields of a sample get the same blur. A sample
 * left as it is is emitted as it is; the input is never modified. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad sigma, p, kernelSize, seed, fields or handler.
 * @example
 * createLoader(source, decode({ image: 'rgb' }), randomResizedCrop({ size: 224, seed: 1 }), gaussianBlur({ sigma: [0.1, 2], p: 0.5, seed: 4 }), batch(64));
 * @see twoViews
 */
export function gaussianBlur<S extends SampleIdentity = Sample>(
  options?: GaussianBlurOptions,
): MonoTypeOperatorFunction<S>;
export function gaussianBlur(options: GaussianBlurOptions = {}): OperatorFunction<Sample, Sample> {
  checkOptionKeys('gaussianBlur', options, GAUSSIAN_BLUR_KEYS);
  const action = 'create a gaussian blur';
  if (typeof options !== 'object' || options === null) throw typeError(action, 'options must be an object', options);
  const given = options.sigma ?? [0.1, 2.0];
  let sigma: readonly [number, number];
  if (typeof given === 'number') sigma = [checkNumber(action, 'sigma', given, 0, 1000), given];
  else if (Array.isArray(given)) sigma = checkInterval(action, 'sigma', given, 0, 1000);
  else throw typeError(action, 'sigma must be a number or a [low, high] pair', given);
  if (sigma[0] <= 0) throw rangeError(action, 'sigma must be > 0', given);
  const p = checkProbability(action, 'p', options.p ?? 0.5);
  let kernelSize: number | undefined;
  if (options.kernelSize !== undefined) {
    kernelSize = checkInteger(action, 'kernelSize', options.kernelSize, 1, 4095);
    if (kernelSize % 2 === 0) throw rangeError(action, 'kernelSize must be odd', kernelSize);
  }
  const fields = checkFields(action, options.fields);
  const handler = resolveHandler(options.handler);
  const seed = resolveSeed(action, options.seed, options.onSeed);
  return imageStage({
    verb: 'blur',
    reason: 'gaussian-blur',
    fields,
    handler,
    prepare: (sample) => {
      const rng = sampleRandom(seed, 'gaussian-blur', sample);
      if (!(rng.float() < p)) return null;
      const s = sigma[0] + (sigma[1] - sigma[0]) * rng.float();
      const kernel = gaussianKernel(kernelSize ?? defaultKernelSize(s), s);
      return (image) => blur(image, kernel);
    },
  });
}

function blur(image: Image, kernel: Float64Array): Image {
  const [H, W, C] = image.shape;
  if (H * W * C === 0) return image;
  return { data: blurSeparable(image.data, H, W, C, kernel), shape: [H, W, C] };
}
