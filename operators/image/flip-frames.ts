import { mirrorRows } from './mirror.js';

/**
 * Flips each of the `T` HWC frames of `src` (an image is one frame; a THWC clip is `T`), into a new
 * array of the same element type: `'horizontal'` mirrors left and right (every row of every frame,
 * with the image kernel), `'vertical'` top and bottom (row y of frame t comes from row H-1-y of the
 * same frame). Shared by `randomFlip` and `clipRandomFlip`; `src` is never modified.
 */
export function flipFrames<A extends Uint8Array | Float32Array>(
  src: A,
  T: number,
  H: number,
  W: number,
  C: number,
  direction: 'horizontal' | 'vertical',
): A;
export function flipFrames(
  src: Uint8Array | Float32Array,
  T: number,
  H: number,
  W: number,
  C: number,
  direction: 'horizontal' | 'vertical',
): Uint8Array | Float32Array {
  if (direction === 'horizontal') {
    // Rows are mirrored one by one, so T frames of H rows are T*H rows. One monomorphic call per
    // element type (a loop over a Uint8Array | Float32Array union runs ~2x slower).
    return src instanceof Float32Array
      ? mirrorRows(src, new Float32Array(src.length), T * H, W, C)
      : mirrorRows(src, new Uint8Array(src.length), T * H, W, C);
  }
  const data = src instanceof Float32Array ? new Float32Array(src.length) : new Uint8Array(src.length);
  const rowLength = W * C;
  for (let t = 0; t < T; t++) {
    const base = t * H * rowLength;
    for (let y = 0; y < H; y++)
      data.set(src.subarray(base + (H - 1 - y) * rowLength, base + (H - y) * rowLength), base + y * rowLength);
  }
  return data;
}
