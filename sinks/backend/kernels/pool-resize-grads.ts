import type * as TF from '@tensorflow/tfjs-core';
import { wrappedKernel } from './wrapped-kernel.js';
import { heapOutput } from './heap-tensor.js';
import { heapOffset, type WasmBackendMemory } from './wasm-backend-memory.js';
import { simdTeamOf } from '../simd/backend-simd-team.js';
import { resizeIsWholeFactor, runUpsample, type Upsampling } from '../simd/upsample.js';

/**
 * `scale * nearest-neighbour upsampling` of the float32 NHWC `x` by whole factors with the SIMD kernel
 * (`simd/upsample.c`) on the backend's heap; `null` where the backend has no SIMD team (not the threaded
 * build), so the caller takes its other path.
 */
function simdUpsample(
  backend: object,
  x: TF.TensorInfo,
  factorHeight: number,
  factorWidth: number,
  scale: number,
): TF.TensorInfo | null {
  const team = simdTeamOf(backend);
  if (team === null) return null;
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const u: Upsampling = { batch, height, width, channels, factorHeight, factorWidth, scale };
  const memory = backend as unknown as WasmBackendMemory;
  return heapOutput(memory, [batch, height * factorHeight, width * factorWidth, channels], (out) => {
    if (batch * height * width * channels > 0) runUpsample(team, u, heapOffset(memory, x), heapOffset(memory, out));
  });
}

/**
 * A `ResizeNearestNeighbor` kernel for the wasm backend: upsampling a float32 image by whole factors
 * (tfjs-layers' `upSampling2d`) runs the SIMD kernel (`simd/upsample.c`: each output row written once from
 * its input row, the others copied; the package's kernel finds each element's source in a scalar loop, 4.5
 * ms for a BigGAN generator's [64, 16, 16, 64] to 32x32). Every other call (downsampling, fractional
 * factors, `alignCorners`, the single-threaded build) goes to the package's kernel.
 *
 * @param original the package's `ResizeNearestNeighbor` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function resizeNearestNeighborKernel(original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { images } = inputs as unknown as { images: TF.TensorInfo };
    const { alignCorners, halfPixelCenters, size } = attrs as unknown as TF.ResizeNearestNeighborAttrs;
    if (images.dtype !== 'float32' || images.shape.length !== 4) return null;
    const [, h, w] = images.shape as [number, number, number, number];
    const [outH, outW] = size;
    if (!resizeIsWholeFactor(h, outH, alignCorners, halfPixelCenters)) return null;
    if (!resizeIsWholeFactor(w, outW, alignCorners, halfPixelCenters)) return null;
    return simdUpsample(backend, images, outH / h, outW / w, 1);
  });
}

/**
 * An `AvgPoolGrad` kernel for the wasm backend for the non-overlapping pools of the GAN discriminators
 * (window = stride, no padding, the input an exact multiple of the stride): there the gradient is `dy`
 * repeated over each window and divided by the window's size: one pass of the SIMD upsampling
 * (`simd/upsample.c`) on the threaded build, else a `ResizeNearestNeighbor` and a multiply. The package's kernel is a scalar loop (about 54 ms for a
 * `[192, 16, 16, 64]` gradient of a 2x2 pool in a BigGAN step, against a few ms here). Every other call
 * (overlapping or padded windows) goes to the package's kernel.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `AvgPoolGrad` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function avgPoolGradKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
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
    const scale = 1 / (info.filterHeight * info.filterWidth);
    const fast = simdUpsample(backend, dy, info.strideHeight, info.strideWidth, scale);
    if (fast !== null) return fast;
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
    const { alignCorners, halfPixelCenters } = attrs as unknown as TF.ResizeNearestNeighborGradAttrs;
    if (dy.dtype !== 'float32') return null;
    const [, h, w] = images.shape;
    const [, outH, outW] = dy.shape;
    // the forward pass read input floor(y / k) for output y: the same test as the forward kernel's
    if (!resizeIsWholeFactor(h, outH, alignCorners, halfPixelCenters)) return null;
    if (!resizeIsWholeFactor(w, outW, alignCorners, halfPixelCenters)) return null;
    const kh = outH / h;
    const kw = outW / w;
    return tf.tidy(() => tf.mul(tf.avgPool(dy, [kh, kw], [kh, kw], 'valid'), kh * kw));
  });
}
