import type * as TF from '@tensorflow/tfjs-core';
import { convGeometry, padOrCrop } from './conv-geometry.js';

/**
 * A faster `Conv2DBackpropInput` kernel for the wasm backend (its own is a slow scalar loop), built from
 * wasm's fast `Conv2D`: `dy` is spread out with `stride - 1` zeros between its pixels (zero insertion),
 * padded so that every input position sees the full filter window, and convolved (stride 1) with the
 * filter flipped in both spatial axes and with its in/out channels swapped.
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
        const sh = g.strideHeight;
        const sw = g.strideWidth;
        // Zero insertion: [b, oh, ow, co] -> [b, oh*sh, ow*sw, co] with dy at (oh*sh, ow*sw); the
        // trailing zeros are absorbed by the pad/crop below.
        let spread: TF.Tensor4D = dy;
        if (sh > 1 || sw > 1) {
          const six = tf.reshape(dy, [g.batch, g.outHeight, 1, g.outWidth, 1, g.outChannels]);
          const padded = tf.pad(six, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
          spread = tf.reshape(padded, [g.batch, g.outHeight * sh, g.outWidth * sw, g.outChannels]);
        }
        // dx[i] = sum_k spread[i + padTop - k] * W[k] = sum_k' spreadPad[i + k'] * W[kH-1-k'].
        const top = g.filterHeight - 1 - g.padTop;
        const left = g.filterWidth - 1 - g.padLeft;
        const bottom = g.inHeight + g.filterHeight - 1 - g.outHeight * sh - top;
        const right = g.inWidth + g.filterWidth - 1 - g.outWidth * sw - left;
        const window = padOrCrop(tf, spread, top, bottom, left, right);
        const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kh, kw, co, ci]
        return tf.conv2d(window, flipped, 1, 'valid');
      });
    },
  };
}
