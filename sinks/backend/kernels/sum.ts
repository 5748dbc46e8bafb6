import type * as TF from '@tensorflow/tfjs-core';
import { columnMeans, leadingAxes } from './leading-axes.js';
import { wrappedKernel } from './wrapped-kernel.js';

/**
 * A `Sum` kernel for the wasm backend: the package's sums innermost axes only and transposes first when
 * the reduced axes are others, and a bias or batch-norm gradient (`sum(dy, [0, 1, 2])` of an NHWC
 * tensor) spends ~6 ms of a ~7 ms reduction in that transpose. A float32 sum over the leading axes is
 * done here as one XNNPACK average pooling (times the count); every other call goes to the package's kernel.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `Sum` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function sumKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs }) => {
    const { x } = inputs as unknown as { x: TF.Tensor };
    const { axis, keepDims } = attrs as unknown as TF.SumAttrs;
    if (x.dtype !== 'float32') return null;
    const view = leadingAxes(tf, x.shape, axis);
    if (view === null) return null;
    return tf.tidy(() => columnMeans(tf, x, view, keepDims, view.rows));
  });
}
