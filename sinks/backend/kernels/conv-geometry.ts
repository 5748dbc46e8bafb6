import type * as TF from '@tensorflow/tfjs-core';

/** The resolved geometry of an NHWC 2-D convolution (dilation 1), shared by the gradient kernels. */
export interface ConvGeometry {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * Resolves strides/padding for a gradient kernel with tfjs-core's own `computeConv2DInfo` (so 'same',
 * 'valid', a number, explicit pads and `dimRoundingMode` mean exactly what they mean in the forward op).
 * Throws a `TypeError` for `NCHW` (the wasm backend's convolutions are NHWC only).
 */
export function convGeometry(
  tf: typeof TF,
  kernelName: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: {
    readonly strides: [number, number] | number;
    readonly pad: 'valid' | 'same' | number | TF.backend_util.ExplicitPadding;
    readonly dataFormat: 'NHWC' | 'NCHW';
    readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
  },
): ConvGeometry {
  if (attrs.dataFormat !== 'NHWC') {
    throw new TypeError(
      `Cannot run ${kernelName} on wasm as dataFormat must be NHWC: current value is ${String(attrs.dataFormat)}`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor, so that
 * `[before, after]` of any sign gives the wanted window. Returns the input itself when nothing changes.
 */
export function padOrCrop(
  tf: typeof TF,
  x: TF.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): TF.Tensor4D {
  let out = x;
  const cropTop = Math.max(0, -top);
  const cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left);
  const cropRight = Math.max(0, -right);
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    const [n, h, w, c] = out.shape;
    out = tf.slice(out, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c]);
  }
  const padTop = Math.max(0, top);
  const padBottom = Math.max(0, bottom);
  const padLeft = Math.max(0, left);
  const padRight = Math.max(0, right);
  if (padTop + padBottom + padLeft + padRight > 0) {
    out = tf.pad(out, [
      [0, 0],
      [padTop, padBottom],
      [padLeft, padRight],
      [0, 0],
    ]);
  }
  return out;
}

/** The filter taps of one spatial axis that reach one output phase of a strided backward-input conv. */
export interface PhaseTaps {
  /** The first (smallest) tap index `k ≡ (phase + pad) mod stride`; the others are `first + stride*t`. */
  readonly first: number;
  /** How many taps (0 when the filter is shorter than `first + 1`). */
  readonly count: number;
  /** `dy` row read by output `stride*q + phase` with the largest tap is `q + offset`. */
  readonly offset: number;
}

/**
 * For output positions `i = stride*q + phase` of a backward-input conv (`dx[i] = sum_k dy[(i + pad - k) / stride] * W[k]`
 * over the `k` that divide evenly), the taps that contribute and where in `dy` they read.
 */
export function phaseTaps(filterSize: number, stride: number, pad: number, phase: number): PhaseTaps {
  const shifted = phase + pad;
  const first = shifted % stride;
  const d = (shifted - first) / stride;
  const count = first < filterSize ? Math.ceil((filterSize - first) / stride) : 0;
  return { first, count, offset: d - (count - 1) };
}
