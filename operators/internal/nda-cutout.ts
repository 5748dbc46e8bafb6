import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import { copyInto } from '../image/nda-bytes.js';
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
  apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): CutoutResult;
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
    apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): CutoutResult {
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
      const out = copyInto('make cutout negatives', images.data, into);
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
        fillMean(out, at, side, W * C, C);
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

/**
 * Fills the side x side square whose first value is at `at` (rows `stride` apart) with its
 * per-channel mean: rounded half up for bytes, in double precision (stored as float32) for floats.
 * One pass sums the square's channels (three in locals for RGB, the common case), then one row of
 * means is written into each row of the square.
 */
function fillMean(d: Uint8Array | Float32Array, at: number, side: number, stride: number, C: number): void {
  const rowLen = side * C;
  const count = side * side;
  const means = new Float64Array(C);
  if (C === 3) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let y = 0, o = at; y < side; y++, o += stride)
      for (let x = o, end = o + rowLen; x < end; x += 3) {
        r += d[x] as number;
        g += d[x + 1] as number;
        b += d[x + 2] as number;
      }
    means[0] = r;
    means[1] = g;
    means[2] = b;
  } else {
    for (let y = 0, o = at; y < side; y++, o += stride)
      for (let x = 0; x < rowLen; x += C)
        for (let c = 0; c < C; c++) means[c] = (means[c] as number) + (d[o + x + c] as number);
  }
  const bytes = d instanceof Uint8Array;
  for (let c = 0; c < C; c++)
    means[c] = bytes ? Math.floor((means[c] as number) / count + 0.5) : (means[c] as number) / count;
  const row = bytes ? new Uint8Array(rowLen) : new Float32Array(rowLen);
  for (let x = 0; x < rowLen; x++) row[x] = means[x % C] as number;
  for (let y = 0, o = at; y < side; y++, o += stride) d.set(row, o);
}
