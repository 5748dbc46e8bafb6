import type { ConvGeometry } from '../kernels/conv-geometry.js';
import type { SimdTeam } from './simd-team.js';
import { convolvePacked, isNarrowConv, narrowPackArguments } from './conv2d.js';
import { PACK_FILTER, PACK_FILTER_FLIPPED, PACK_FILTER_NARROW } from './simd-kernels.js';

/**
 * A matrix product `[m, k] x [k, n]` as the 1x1 convolution `conv2d.c` computes: one image of one row of
 * `m` pixels of `k` channels, to `n` channels (the pixels along the row, so that its tiles of two pixels
 * are full).
 */
export function matMulGeometry(m: number, k: number, n: number): ConvGeometry {
  return pointwiseGeometry(1, 1, m, k, n);
}

/**
 * A 1x1 convolution over `[batch, height, width]` pixels of `k` channels to `n`: a matrix product whose
 * rows are the pixels, split between threads by rows of pixels.
 */
export function pointwiseGeometry(batch: number, height: number, width: number, k: number, n: number): ConvGeometry {
  return {
    batch,
    inHeight: height,
    inWidth: width,
    inChannels: k,
    outHeight: height,
    outWidth: width,
    outChannels: n,
    filterHeight: 1,
    filterWidth: 1,
    strideHeight: 1,
    strideWidth: 1,
    padTop: 0,
    padLeft: 0,
  };
}

/** Heap offsets of a product's operands. */
export interface MatMulOperands {
  /** `[m, k]`, rows contiguous. */
  readonly a: number;
  /** `[k, n]`, or `[n, k]` with `transposeB`. */
  readonly b: number;
  /** `[m, n]`, every element written. */
  readonly y: number;
  /** At least `k` zeros. */
  readonly zero: number;
  /** Room for `packedFilterLength(matMulGeometry(m, k, n))` floats, 64-byte aligned. */
  readonly packed: number;
  /** `n` values added to every row (0: none). */
  readonly bias: number;
  readonly relu: boolean;
}

/**
 * `y = a x b (+ bias) (ReLU)` on `team`: `b` packed as the convolution's filter (transposed by the
 * packing itself where `transposeB`), then the 1x1 convolution of {@link matMulGeometry}.
 */
export function runMatMul(
  team: SimdTeam,
  m: number,
  k: number,
  n: number,
  transposeB: boolean,
  at: MatMulOperands,
): void {
  const g = matMulGeometry(m, k, n);
  if (isNarrowConv(g)) {
    const one = { count: 1, first: 0, step: 1 };
    const packing = narrowPackArguments({
      channels: n,
      rows: one,
      cols: one,
      filterWidth: 1,
      tapStride: 0,
      reduction: k,
      // element (column j, row p) of b: b[p * n + j], or b[j * k + p] transposed
      channelStride: transposeB ? k : 1,
      reductionStride: transposeB ? 1 : n,
    });
    team.run(PACK_FILTER_NARROW, [[at.b, at.packed, ...packing]]);
  } else if (transposeB) {
    // b [n, k] read as a one-tap filter [1, 1, n, k] whose phase packing swaps its channels
    team.run(PACK_FILTER_FLIPPED, [[at.b, at.packed, 1, n, k, 0, 1, 1, 0, 1, 1]]);
  } else {
    team.run(PACK_FILTER, [[at.b, at.packed, k, n]]);
  }
  convolvePacked(team, g, { x: at.a, y: at.y, zero: at.zero, packed: at.packed, bias: at.bias, relu: at.relu });
}
