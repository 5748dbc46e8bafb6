import type * as TF from '@tensorflow/tfjs-core';
import { wrappedKernel } from './wrapped-kernel.js';

/**
 * An `AvgPoolGrad` kernel for the wasm backend for the non-overlapping pools of the GAN discriminators
 * (window = stride, no padding, the input an exact multiple of the stride): there the gradient is `dy`
 * repeated over each window and divided by the window's size, one nearest-neighbour upsampling
 * (`ResizeNearestNeighbor`) and one multiply. The package's kernel is a scalar loop (about 54 ms for a
 * `[192, 16, 16, 64]` gradient of a 2x2 pool in a BigGAN step, against a few ms here). Every other call
 * (overlapping or padded windows) goes to the package's kernel.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `AvgPoolGrad` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function avgPoolGradKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs }) => {
    const { dy, input } = inputs as unknown as { dy: TF.Tensor4D; input: TF.Tensor4D };
    const a = attrs as unknown as TF.AvgPoolGradAttrs;
    if (dy.dtype !== 'float32') return null;
    const info = tf.backend_util.computePool2DInfo(input.shape, a.filterSize, a.strides, 1, a.pad);
    const p = info.padInfo;
    const tiled =
      info.filterHeight === info.strideHeight &&
      info.filterWidth === info.strideWidth &&
      p.top + p.bottom + p.left + p.right === 0 &&
      info.outHeight * info.strideHeight === info.inHeight &&
      info.outWidth * info.strideWidth === info.inWidth;
    if (!tiled) return null;
    return tf.tidy(() =>
      tf.mul(
        tf.image.resizeNearestNeighbor(dy, [info.inHeight, info.inWidth]),
        1 / (info.filterHeight * info.filterWidth),
      ),
    );
  });
}

/**
 * A `ResizeNearestNeighborGrad` kernel for the wasm backend for upsampling by whole factors without
 * `alignCorners` (tfjs-layers' `upSampling2d`): each input pixel received a `kh x kw` block, so its gradient
 * is the block's sum, one XNNPACK average pooling (window = stride = the factor) times the block's size.
 * The package's kernel is a scalar loop. Every other call goes to the package's kernel.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `ResizeNearestNeighborGrad` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function resizeNearestNeighborGradKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs }) => {
    const { images, dy } = inputs as unknown as { images: TF.Tensor4D; dy: TF.Tensor4D };
    const { alignCorners } = attrs as unknown as TF.ResizeNearestNeighborGradAttrs;
    if (dy.dtype !== 'float32' || alignCorners) return null;
    const [, h, w] = images.shape;
    const [, outH, outW] = dy.shape;
    if (h === 0 || w === 0 || outH % h !== 0 || outW % w !== 0) return null;
    const kh = outH / h;
    const kw = outW / w;
    // with a whole factor, output row y reads input row floor(y / k) with or without half-pixel centres
    return tf.tidy(() => tf.mul(tf.avgPool(dy, [kh, kw], [kh, kw], 'valid'), kh * kw));
  });
}
