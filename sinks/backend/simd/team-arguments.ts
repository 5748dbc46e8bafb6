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
 * Elements below which an element-wise or per-channel pass runs on the calling thread alone: a helper woken from sleep
 * costs about 0.1 ms, and memory-bound passes gain little from a second thread (a leaky ReLU 0.2 ms after
 * the previous call, one thread against two: 0.17 against 0.20 ms at 512K floats, 0.31 against 0.32 at 1M,
 * 1.75 against 0.97 at 4M).
 */
export const TEAM_MIN_ELEMENTS = 1 << 20;

/** How many of a team's `threads` a pass over `elements` elements takes: one below {@link TEAM_MIN_ELEMENTS}. */
export function threadsFor(elements: number, threads: number): number {
  return elements < TEAM_MIN_ELEMENTS ? 1 : threads;
}

/** An element-wise kernel's ranges for a team of `threads` ({@link splitElements} over {@link threadsFor} of them). */
export function elementRanges(count: number, unit: number, threads: number): Array<[number, number]> {
  return splitElements(count, unit, threadsFor(count, threads));
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
