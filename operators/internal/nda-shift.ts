import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import { outputFor, byteViews, copyBlock } from '../image/nda-bytes.js';
import { batchDims, checkChoice, optionsRecord } from './nda-checks.js';
import { batchRandom, type NdaContext, type NdaResult, type NdaTransform } from './nda-transform.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const SHIFT_TRANSFORM_KEYS = optionKeys<ShiftTransformOptions>({ offset: true, mode: true });

/** Options of the shift transform (plain JSON). */
export interface ShiftTransformOptions {
  /**
   * The shift, in pixels: one number, or `[min, max]` for a shift drawn uniformly per batch (both
   * included), the same down and right (taken modulo the height and the width). The default
   * scales the official 10..24 px at 32 px with the image: round(10 S / 32)..round(24 S / 32),
   * with S the height for the vertical shift and the width for the horizontal one.
   * @default scaled 10..24 px at 32 px
   */
  readonly offset?: number | readonly [number, number];
  /**
   * `'roll'`: every pixel moves down dy and right dx, wrapping around (`np.roll`). `'official'`: the
   * paper's official `shifted`, which writes the three wrapped strips of the roll (the top dy rows
   * from the bottom, the left dx columns from the right) and leaves the bottom-right block
   * `[dy:, dx:]` where it was, so the image is torn at the strips' edges rather than rolled.
   * @default 'roll'
   */
  readonly mode?: 'roll' | 'official';
}

/** The resolved options (`offset: null`: scaled with the image). */
export interface ShiftResolvedOptions {
  readonly offset: readonly [number, number] | null;
  readonly mode: 'roll' | 'official';
}

/** What {@link shiftTransform} made of a batch. */
export interface ShiftResult extends NdaResult {
  /** Rows and columns every image was rolled by (down and right, already modulo the size). */
  readonly offset: readonly [dy: number, dx: number];
}

/** The shift transform: its {@link NdaTransform.apply} returns a {@link ShiftResult}. */
export interface ShiftTransform extends NdaTransform<ShiftResolvedOptions> {
  apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): ShiftResult;
}

/**
 * The shift NDA transform, pure: every image of the batch rolled (wrapped around, as `np.roll`)
 * down by dy and right by dx, with one draw per batch, as the official code's `shifted` (one k
 * in 10..24 per batch, both axes). The official code writes the three wrapped strips but leaves
 * the bottom-right block where it was (so its output is not quite a roll): `mode: 'official'` does
 * exactly that, the default `'roll'` is the roll it means. Draws come from `(seed, 'shift', epoch, all keys)`. Copies rows of the HWC bytes
 * (`Uint8Array` or `Float32Array`, kept). Deterministic given the context.
 *
 * @throws RangeError/TypeError for a bad offset.
 * @see shift
 */
export function shiftTransform(options: ShiftTransformOptions = {}): ShiftTransform {
  checkOptionKeys('shiftTransform', options, SHIFT_TRANSFORM_KEYS);
  const action = 'create a shift transform';
  const o = optionsRecord(action, options);
  const offset = resolveOffset(action, o.offset);
  const mode = checkChoice(action, 'mode', o.mode ?? 'roll', ['roll', 'official'] as const);
  return {
    name: 'shift',
    options: { offset, mode },
    apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): ShiftResult {
      const [n, H, W, C] = batchDims('make shift negatives', images);
      const t = batchRandom('shift', context).float();
      const dy = H > 0 ? pick(offset, H, t) % H : 0;
      const dx = W > 0 ? pick(offset, W, t) % W : 0;
      const out = outputFor('make shift negatives', images.data, into);
      const src = byteViews(images.data);
      const dst = byteViews(out);
      const bpp = C * images.data.BYTES_PER_ELEMENT;
      const stride = W * bpp;
      const per = H * stride;
      if (mode === 'official') {
        // new[:dy, :dx] = x[-dy:, -dx:]; new[:dy, dx:] = x[-dy:, :-dx]; new[dy:, :dx] = x[:-dy, -dx:];
        // new[dy:, dx:] = x[dy:, dx:] (the official `shifted`, with k = dy = dx at square sizes)
        const wrap = dx * bpp;
        for (let i = 0; i < n; i++) {
          const base = i * per;
          const bottom = base + (H - dy) * stride;
          copyBlock(dst, base, src, bottom + stride - wrap, dy, wrap, stride, stride);
          copyBlock(dst, base + wrap, src, bottom, dy, stride - wrap, stride, stride);
          copyBlock(dst, base + dy * stride, src, base + stride - wrap, H - dy, wrap, stride, stride);
          copyBlock(
            dst,
            base + dy * stride + wrap,
            src,
            base + dy * stride + wrap,
            H - dy,
            stride - wrap,
            stride,
            stride,
          );
        }
        return { images: { data: out, shape: [n, H, W, C] }, partners: null, offset: [dy, dx] };
      }
      // The roll as a shift of the flat image by dy*W + dx pixels (two runs of memcpy), which is right
      // for every column >= dx; then the dx columns that wrap around within their row.
      const flat = (dy * W + dx) * bpp;
      const wrap = dx * bpp;
      for (let i = 0; i < n; i++) {
        const base = i * per;
        copyBlock(dst, base + flat, src, base, 1, per - flat, per, per);
        copyBlock(dst, base, src, base + per - flat, 1, flat, per, per);
        copyBlock(dst, base + dy * stride, src, base + stride - wrap, H - dy, wrap, stride, stride);
        copyBlock(dst, base, src, base + (H - dy) * stride + stride - wrap, dy, wrap, stride, stride);
      }
      return { images: { data: out, shape: [n, H, W, C] }, partners: null, offset: [dy, dx] };
    },
  };
}

function pick(offset: readonly [number, number] | null, S: number, t: number): number {
  const lo = offset === null ? Math.round((10 * S) / 32) : offset[0];
  const hi = offset === null ? Math.round((24 * S) / 32) : offset[1];
  return lo + Math.floor(t * (hi - lo + 1));
}

function resolveOffset(action: string, offset: unknown): readonly [number, number] | null {
  if (offset === undefined || offset === null) return null;
  if (typeof offset === 'number') {
    const s = checkInteger(action, 'offset', offset, 0);
    return [s, s];
  }
  if (!Array.isArray(offset) || offset.length !== 2)
    throw typeError(action, 'offset must be a number or [min, max]', offset);
  const lo = checkInteger(action, 'offset[0]', offset[0], 0);
  const hi = checkInteger(action, 'offset[1]', offset[1], 0);
  if (lo > hi) throw rangeError(action, 'offset must be [min, max] with min <= max', offset);
  return [lo, hi];
}
