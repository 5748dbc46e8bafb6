import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import { copyOf } from '../image/nda-bytes.js';
import { batchDims, optionsRecord } from './nda-checks.js';
import { imageRandom, type NdaContext, type NdaResult, type NdaTransform } from './nda-transform.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CUTOUT_TRANSFORM_KEYS = optionKeys<CutoutTransformOptions>({ size: true });

/** Options of the cutout transform (plain JSON). */
export interface CutoutTransformOptions {
  /**
   * Side of the square, in pixels: one number, or `[min, max]` for a side drawn uniformly per
   * image (both included). The default scales the official 10..19 px at 32 px with the image:
   * round(10 S / 32)..round(19 S / 32) with S = min(height, width) (at least 1, at most S).
   * @default scaled 10..19 px at 32 px
   */
  readonly size?: number | readonly [number, number];
}

/** The resolved options (`size: null`: scaled with the image). */
export interface CutoutResolvedOptions {
  readonly size: readonly [number, number] | null;
}

/** What {@link cutoutTransform} made of a batch. */
export interface CutoutResult extends NdaResult {
  /** For image i, `squares[3i]`, `squares[3i + 1]`, `squares[3i + 2]`: the square's top row, left column and side. */
  readonly squares: Int32Array;
}

/** The cutout transform: its {@link NdaTransform.apply} returns a {@link CutoutResult}. */
export interface CutoutTransform extends NdaTransform<CutoutResolvedOptions> {
  apply(images: ImageBatch, context: NdaContext): CutoutResult;
}

/**
 * The cutout NDA transform, pure (the official code's `rand_blur`): per image, one square of a
 * random side at a random place, filled with the square's own per-channel mean (not zeros), the
 * rest untouched. As in the official code the square lies fully inside the image, its top-left
 * corner at floor((H - side) * U) (so in [0, H - side - 1]; 0 when side = H), and likewise for
 * the column. The mean of 8-bit pixels is rounded to the nearest integer (halves up); the mean of
 * float32 pixels is computed in double precision and stored as float32. Draws (side, row, column)
 * come from `(seed, 'cutout', epoch, key)`. Deterministic given the context.
 *
 * @throws RangeError/TypeError for a bad size; `apply` throws a RangeError when a fixed side is
 *   larger than the images.
 * @see cutout
 */
export function cutoutTransform(options: CutoutTransformOptions = {}): CutoutTransform {
  checkOptionKeys('cutoutTransform', options, CUTOUT_TRANSFORM_KEYS);
  const action = 'create a cutout transform';
  const o = optionsRecord(action, options);
  const size = resolveSize(action, o.size);
  return {
    name: 'cutout',
    options: { size },
    apply(images: ImageBatch, context: NdaContext): CutoutResult {
      const [n, H, W, C] = batchDims('make cutout negatives', images);
      const S = Math.min(H, W);
      let lo: number;
      let hi: number;
      if (size === null) {
        lo = Math.min(S, Math.max(1, Math.round((10 * S) / 32)));
        hi = Math.min(S, Math.max(lo, Math.round((19 * S) / 32)));
      } else {
        [lo, hi] = size;
        if (hi > S)
          throw rangeError(
            `cut a square out of a ${H}x${W} image`,
            `its side must fit in the image (size at most ${S})`,
            size,
          );
      }
      const out = copyOf(images.data);
      const squares = new Int32Array(3 * n);
      const per = H * W * C;
      for (let i = 0; i < n; i++) {
        const rng = imageRandom('cutout', context, i);
        const side = rng.int(lo, hi);
        const top = Math.floor((H - side) * rng.float());
        const left = Math.floor((W - side) * rng.float());
        squares[3 * i] = top;
        squares[3 * i + 1] = left;
        squares[3 * i + 2] = side;
        const at = i * per + (top * W + left) * C;
        if (out instanceof Float32Array) fillMeanFloat32(out, at, side, W * C, C);
        else fillMeanUint8(out, at, side, W * C, C);
      }
      return { images: { data: out, shape: [n, H, W, C] }, partners: null, squares };
    },
  };
}

function resolveSize(action: string, size: unknown): readonly [number, number] | null {
  if (size === undefined || size === null) return null;
  if (typeof size === 'number') {
    const s = checkInteger(action, 'size', size, 1);
    return [s, s];
  }
  if (!Array.isArray(size) || size.length !== 2) throw typeError(action, 'size must be a number or [min, max]', size);
  const lo = checkInteger(action, 'size[0]', size[0], 1);
  const hi = checkInteger(action, 'size[1]', size[1], 1);
  if (lo > hi) throw rangeError(action, 'size must be [min, max] with min <= max', size);
  return [lo, hi];
}

/** Fills the side x side square whose first value is at `at` (rows `stride` apart) with its per-channel mean (rounded half up). */
function fillMeanUint8(d: Uint8Array, at: number, side: number, stride: number, C: number): void {
  const rowLen = side * C;
  const count = side * side;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let y = 0, o = at + c; y < side; y++, o += stride)
      for (let x = 0; x < rowLen; x += C) sum += d[o + x] as number;
    const mean = Math.floor(sum / count + 0.5);
    for (let y = 0, o = at + c; y < side; y++, o += stride) for (let x = 0; x < rowLen; x += C) d[o + x] = mean;
  }
}

/** As {@link fillMeanUint8}, the mean in double precision (stored as float32). */
function fillMeanFloat32(d: Float32Array, at: number, side: number, stride: number, C: number): void {
  const rowLen = side * C;
  const count = side * side;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let y = 0, o = at + c; y < side; y++, o += stride)
      for (let x = 0; x < rowLen; x += C) sum += d[o + x] as number;
    const mean = sum / count;
    for (let y = 0, o = at + c; y < side; y++, o += stride) for (let x = 0; x < rowLen; x += C) d[o + x] = mean;
  }
}
