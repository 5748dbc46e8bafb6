/** How work and arguments reach a `SimdTeam`'s functions: contiguous shares of a range, floats as int32 bits, a convolution's geometry. */
import type { ConvGeometry } from '../kernels/conv-geometry.js';

/** Splits `[0, count)` units of `size` into at most `parts` contiguous ranges whose sizes differ by at most one unit. */
export function split(count: number, size: number, parts: number): Array<[number, number]> {
  const n = Math.min(parts, count);
  const out: Array<[number, number]> = [];
  for (let k = 0, at = 0; k < n; k++) {
    const units = Math.floor(count / n) + (k < count % n ? 1 : 0);
    out.push([at * size, (at + units) * size]);
    at += units;
  }
  return out;
}

/**
 * `[0, count)` elements in at most `parts` contiguous ranges of whole `unit`s (the last range ends at
 * `count`): what an element-wise SIMD kernel's threads take.
 */
export function splitElements(count: number, unit: number, parts: number): Array<[number, number]> {
  return split(Math.ceil(count / unit), unit, parts).map(([i0, i1]) => [i0, Math.min(i1, count)]);
}

/**
 * Below these sizes work runs on the calling thread alone. Handing a helper its part and waiting for its
 * answer costs about 0.1 ms when the helper has gone to sleep since its last call, as it has between a
 * step's kernels (a 16K-float leaky ReLU 0.2 ms after the previous call: 0.012 ms on one thread, 0.111
 * split over two). Element-wise and per-channel passes are memory-bound and gain little from a second
 * thread (the same leaky ReLU, one thread against two: 0.17 against 0.20 ms at 512K floats, 0.31 against
 * 0.32 at 1M, 1.75 against 0.97 at 4M): {@link TEAM_MIN_ELEMENTS}. A convolution's {@link TEAM_MIN_MACS}
 * are about 0.1 ms of one thread's time (BigGAN's spectral norms run some 60 vector-matrix products a step
 * of 4-37 thousand multiply-adds each: 13 ms a step split, 2 alone).
 */
export const TEAM_MIN_ELEMENTS = 1 << 20;

/** Multiply-adds below which a convolution runs on the calling thread alone (see {@link TEAM_MIN_ELEMENTS}). */
export const TEAM_MIN_MACS = 1 << 21;

/** How many of a team's `threads` a pass over `elements` elements takes: one below `minimum` ({@link TEAM_MIN_ELEMENTS}). */
export function threadsFor(elements: number, threads: number, minimum = TEAM_MIN_ELEMENTS): number {
  return elements < minimum ? 1 : threads;
}

/** An element-wise kernel's ranges for a team of `threads` ({@link splitElements} over {@link threadsFor} of them). */
export function elementRanges(
  count: number,
  unit: number,
  threads: number,
  minimum = TEAM_MIN_ELEMENTS,
): Array<[number, number]> {
  return splitElements(count, unit, threadsFor(count, threads, minimum));
}

/** A float32's bits as an int32 (the team passes int32 arguments; the C side reads the bits back as a float). */
export function floatBits(value: number): number {
  return new Int32Array(Float32Array.of(value).buffer)[0]!;
}

/** A convolution's geometry as `conv2d.c` and `filter-grad.c` take it: N, H, W, CI, OH, OW, CO, KH, KW, SH, SW, padT, padL. */
export function geometryArguments(g: ConvGeometry): number[] {
  return [
    g.batch,
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.outChannels,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.padTop,
    g.padLeft,
  ];
}
