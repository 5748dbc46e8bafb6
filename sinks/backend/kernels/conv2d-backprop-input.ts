import type * as TF from '@tensorflow/tfjs-core';
import { convGeometry, padOrCrop, phaseTaps } from './conv-geometry.js';
import type { ConvGeometry, PhaseTaps } from './conv-geometry.js';

/**
 * A faster `Conv2DBackpropInput` kernel for the wasm backend (its own is a slow scalar loop), built from
 * wasm's fast `Conv2D`.
 *
 * Stride 1: `dy` is padded (or cropped) so that every input position sees the full filter window and
 * convolved with the filter flipped in both spatial axes and with its in/out channels swapped.
 *
 * Stride > 1 (sub-pixel / phase decomposition): output row `i = s*q + r` only ever meets the filter taps
 * `k ≡ (r + padTop) mod s`, so each of the `sh * sw` phases is an ordinary stride-1 convolution of the
 * un-spread `dy` with the (flipped, channel-swapped) sub-filter of those taps; the phase outputs are
 * interleaved into `dx` with concat + reshape. This skips the `(s*s - 1) / (s*s)` of the multiplies that
 * zero insertion spends on inserted zeros. A phase that meets no tap (filter smaller than the stride)
 * is zeros.
 *
 * NHWC only (throws a `TypeError` for NCHW); every intermediate tensor is disposed (`tf.tidy`).
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module (passed in so that importing this file loads nothing).
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function conv2dBackpropInputKernel(tf: typeof TF): TF.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { dy, filter } = inputs as unknown as { dy: TF.Tensor4D; filter: TF.Tensor4D };
      const a = attrs as unknown as TF.Conv2DBackpropInputAttrs;
      const g = convGeometry(tf, tf.Conv2DBackpropInput, a.inputShape, filter.shape, a);
      return tf.tidy(() => {
        // [kh, kw, ci, co] -> [kh, kw, co, ci]: the backward conv maps co channels back to ci.
        const swapped = tf.transpose(filter, [0, 1, 3, 2]);
        if (g.strideHeight === 1 && g.strideWidth === 1) return stride1(tf, g, dy, swapped);
        return phases(tf, g, dy, swapped);
      });
    },
  };
}

/** dx[i] = sum_k dy[i + padTop - k] * W[k] = sum_k' dyPad[i + k'] * W[kH-1-k']. */
function stride1(tf: typeof TF, g: ConvGeometry, dy: TF.Tensor4D, swapped: TF.Tensor4D): TF.Tensor4D {
  const top = g.filterHeight - 1 - g.padTop;
  const left = g.filterWidth - 1 - g.padLeft;
  const bottom = g.inHeight + g.filterHeight - 1 - g.outHeight - top;
  const right = g.inWidth + g.filterWidth - 1 - g.outWidth - left;
  return convPadded(tf, dy, flipSpatial(tf, swapped), top, bottom, left, right);
}

/** A 'valid' stride-1 conv of `x` padded/cropped by the given amounts; non-negative pads go to the conv itself. */
function convPadded(
  tf: typeof TF,
  x: TF.Tensor4D,
  w: TF.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): TF.Tensor4D {
  const cropped = padOrCrop(tf, x, Math.min(0, top), Math.min(0, bottom), Math.min(0, left), Math.min(0, right));
  const pad: [[0, 0], [number, number], [number, number], [0, 0]] = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  const zeroPad = pad[1][0] + pad[1][1] + pad[2][0] + pad[2][1] === 0;
  return tf.conv2d(cropped, w, 1, zeroPad ? 'valid' : pad);
}

/**
 * The taps `first + stride*(count-1), ..., first + stride, first` of spatial axis `axis` (0 or 1) of `w`,
 * in that (reversed) order, as single-tap slices joined by `concat`: on wasm, `reverse`, `gather` and
 * non-unit-stride `stridedSlice` are element-by-element loops, several times slower than slice + concat.
 */
function reversedTaps(tf: typeof TF, w: TF.Tensor4D, axis: 0 | 1, first: number, count: number, stride: number): TF.Tensor4D {
  const size: [number, number, number, number] = [...w.shape];
  size[axis] = 1;
  const taps: TF.Tensor4D[] = [];
  for (let t = count - 1; t >= 0; t--) {
    const begin: [number, number, number, number] = [0, 0, 0, 0];
    begin[axis] = first + stride * t;
    taps.push(tf.slice(w, begin, size));
  }
  return taps.length === 1 ? taps[0]! : tf.concat(taps, axis);
}

/** `w` with both spatial axes reversed (see `reversedTaps`). */
function flipSpatial(tf: typeof TF, w: TF.Tensor4D): TF.Tensor4D {
  const [kh, kw] = w.shape;
  return reversedTaps(tf, reversedTaps(tf, w, 0, 0, kh, 1), 1, 0, kw, 1);
}

function phases(tf: typeof TF, g: ConvGeometry, dy: TF.Tensor4D, swapped: TF.Tensor4D): TF.Tensor4D {
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const qh = Math.ceil(g.inHeight / sh); // every phase is computed at the largest phase size, then cropped
  const qw = Math.ceil(g.inWidth / sw);
  const rowsH = Array.from({ length: sh }, (_, r) => phaseTaps(g.filterHeight, sh, g.padTop, r));
  const rowsW = Array.from({ length: sw }, (_, r) => phaseTaps(g.filterWidth, sw, g.padLeft, r));
  const rows: TF.Tensor4D[] = [];
  for (const th of rowsH) {
    const cols: TF.Tensor4D[] = [];
    for (const tw of rowsW) {
      if (th.count === 0 || tw.count === 0) {
        cols.push(tf.zeros([g.batch, qh, qw, g.inChannels]));
        continue;
      }
      const sub = reversedTaps(tf, reversedTaps(tf, swapped, 0, th.first, th.count, sh), 1, tw.first, tw.count, sw);
      // dx_r[q] = sum_t' dy[q + offset + t'] * sub[t'], q in [0, qh): window [offset, qh + offset + count - 1).
      const top = -th.offset;
      const bottom = qh + th.offset + th.count - 1 - g.outHeight;
      const left = -tw.offset;
      const right = qw + tw.offset + tw.count - 1 - g.outWidth;
      cols.push(convPadded(tf, dy, sub, top, bottom, left, right));
    }
    // [b, qh, qw, sw, ci] -> [b, qh, qw*sw, ci]: column phase r lands on x = sw*q + r.
    rows.push(sw === 1 ? cols[0]! : tf.reshape<TF.Rank.R4>(tf.stack(cols, 3), [g.batch, qh, qw * sw, g.inChannels]));
  }
  const full = sh === 1 ? rows[0]! : tf.reshape<TF.Rank.R4>(tf.stack(rows, 2), [g.batch, qh * sh, qw * sw, g.inChannels]);
  if (qh * sh === g.inHeight && qw * sw === g.inWidth) return full;
  return tf.slice(full, [0, 0, 0, 0], [g.batch, g.inHeight, g.inWidth, g.inChannels]);
}
