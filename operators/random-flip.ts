import type { OperatorFunction } from 'rxjs';
import { rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import type { Image, Sample } from '../sources/sample.js';
import { checkFields } from './internal/check-fields.js';
import { mirrorRows } from './internal/mirror.js';
import { resolveSeed } from './internal/resolve-seed.js';
import { sampleRandom } from './internal/sample-random.js';
import { imageStage } from './internal/image-stage.js';

/** Options of {@link randomFlip}. */
export interface RandomFlipOptions {
  /** Probability that a sample is flipped, in [0, 1]. @default 0.5 */
  readonly p?: number;
  /** `'horizontal'` mirrors left and right, `'vertical'` top and bottom. @default 'horizontal' */
  readonly direction?: 'horizontal' | 'vertical';
  /** Seed of the per-sample decisions. @default a fresh seed, reported with `onSeed` */
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
export function randomFlip(options: RandomFlipOptions = {}): OperatorFunction<Sample, Sample> {
  const action = 'create a random flip';
  if (typeof options !== 'object' || options === null) throw typeError(action, 'options must be an object', options);
  const p = options.p ?? 0.5;
  if (typeof p !== 'number' || Number.isNaN(p)) throw typeError(action, 'p must be a number', p);
  if (p < 0 || p > 1) throw rangeError(action, 'p must be in [0, 1]', p);
  const direction = options.direction ?? 'horizontal';
  if (direction !== 'horizontal' && direction !== 'vertical') throw rangeError(action, "direction must be 'horizontal' or 'vertical'", direction);
  const fields = checkFields(action, options.fields);
  const handler = resolveHandler(options.handler);
  const seed = resolveSeed(action, 'randomFlip', options.seed, options.onSeed);
  const flip = direction === 'horizontal' ? flipHorizontal : flipVertical;
  return imageStage({
    verb: 'flip',
    reason: 'random-flip',
    fields,
    handler,
    prepare: (sample) => (sampleRandom(seed, 'random-flip', sample).float() < p ? flip : null),
  });
}

function flipHorizontal(image: Image): Image {
  const [H, W, C] = image.shape;
  const src = image.data;
  // One monomorphic loop per element type (a loop over a Uint8Array | Float32Array union runs ~2x slower).
  const data = src instanceof Float32Array ? mirrorRows(src, new Float32Array(src.length), H, W, C) : mirrorRows(src, new Uint8Array(src.length), H, W, C);
  return { data, shape: [H, W, C] };
}

function flipVertical(image: Image): Image {
  const [H, W, C] = image.shape;
  const src = image.data;
  const data = src instanceof Float32Array ? new Float32Array(src.length) : new Uint8Array(src.length);
  const rowLength = W * C;
  for (let y = 0; y < H; y++) data.set(src.subarray((H - 1 - y) * rowLength, (H - y) * rowLength), y * rowLength);
  return { data, shape: [H, W, C] };
}
