import type * as TF from '@tensorflow/tfjs-core';
import { columnMeans, leadingAxes } from './leading-axes.js';
import { wrappedKernel } from './wrapped-kernel.js';

/**
 * A `Mean` kernel for the wasm backend: as {@link sumKernel} (`sum.ts`), a float32 mean over the leading
 * axes (batch norm's moments of an NHWC tensor) is one XNNPACK average pooling over a window of the whole
 * reduced block, instead of the package's transpose then inner-axis mean. Other calls go to the package's kernel.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `Mean` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function meanKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs }) => {
    const { x } = inputs as unknown as { x: TF.Tensor };
    const { axis, keepDims } = attrs as unknown as TF.MeanAttrs;
    if (x.dtype !== 'float32') return null;
    const view = leadingAxes(tf, x.shape, axis);
    if (view === null) return null;
    return tf.tidy(() => columnMeans(tf, x, view, keepDims, 1));
  });
}
