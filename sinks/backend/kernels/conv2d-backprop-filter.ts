import type * as TF from '@tensorflow/tfjs-core';
import { convGeometry, padOrCrop } from './conv-geometry.js';

/**
 * A `Conv2DBackpropFilter` kernel for the wasm backend (which has none, so `tf.grad` of a convolution's
 * filter fails there), built from wasm's own fast `Conv2D`.
 *
 * The filter gradient `dW[kh,kw,ci,co] = sum_{b,oh,ow} xpad[b, oh*sh+kh, ow*sw+kw, ci] * dy[b,oh,ow,co]`
 * is one convolution: the padded input transposed to `[ci, H, W, b]` (channels become the batch) is
 * convolved, stride 1 and dilation = the forward stride, with `dy` transposed to `[oh, ow, b, co]` as
 * the filter; the `[ci, kh, kw, co]` result is transposed back to `[kh, kw, ci, co]`.
 *
 * NHWC only (throws a `TypeError` for NCHW); every intermediate tensor is disposed (`tf.tidy`), the
 * returned tensor is owned by the engine like any kernel output.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module (passed in so that importing this file loads nothing).
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function conv2dBackpropFilterKernel(tf: typeof TF): TF.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as unknown as { x: TF.Tensor4D; dy: TF.Tensor4D };
      const a = attrs as unknown as TF.Conv2DBackpropFilterAttrs;
      const g = convGeometry(tf, tf.Conv2DBackpropFilter, x.shape, a.filterShape, a);
      return tf.tidy(() => {
        // The padded input rows/cols the forward pass actually read.
        const needH = (g.outHeight - 1) * g.strideHeight + g.filterHeight;
        const needW = (g.outWidth - 1) * g.strideWidth + g.filterWidth;
        const xPadded = padOrCrop(
          tf,
          x,
          g.padTop,
          needH - g.inHeight - g.padTop,
          g.padLeft,
          needW - g.inWidth - g.padLeft,
        );
        const xT = tf.transpose(xPadded, [3, 1, 2, 0]); // [ci, needH, needW, b]
        const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [oh, ow, b, co]
        const dwT = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [g.strideHeight, g.strideWidth]); // [ci, kh, kw, co]
        return tf.transpose(dwT, [1, 2, 0, 3]);
      });
    },
  };
}
