import type * as TF from '@tensorflow/tfjs-core';
import { wrappedKernel } from './wrapped-kernel.js';

/**
 * A `LeakyRelu` kernel for the wasm backend: a float32 leaky ReLU runs as `x * step(x, alpha)` (`Step`
 * gives 1 where x > 0, else alpha), two of the package's vectorised element-wise kernels. The package's
 * `LeakyRelu`, and its `Prelu` with a scalar slope (what this kernel used before), walk the tensor one
 * element at a time: on a `[192, 16, 16, 64]` activation, 2 wasm threads, best of 22 calls, Prelu 51 ms
 * against 3.2 ms (2026-12-06, on a shared machine: medians are noise, minima are not). The slope is
 * rounded to float32 (the cpu backend multiplies by the double), so results may differ from the cpu
 * backend's in the last bit. Other dtypes go to the package's kernel. The tape records `LeakyRelu`, not
 * the kernels inside: its gradient is {@link leakyReluGradient}'s (or tfjs-core's).
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `LeakyRelu` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function leakyReluKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs }) => {
    const { x } = inputs as unknown as { x: TF.Tensor };
    const { alpha } = attrs as unknown as TF.LeakyReluAttrs;
    if (x.dtype !== 'float32') return null;
    return tf.tidy(() => tf.mul(x, tf.step(x, alpha)));
  });
}

/**
 * The gradient of `LeakyRelu` as `dy * step(x, alpha)`, two element-wise kernels, where tfjs-core's is
 * `where(greater(x, 0), dy, dy * alpha)`, three, of which `Greater` against a scalar and `Select` are
 * scalar loops on wasm (the same `[192, 16, 16, 64]` tensors: 24.5 ms against 3.4 ms, best of 22). The same
 * numbers: `dy` where x > 0, `dy * float32(alpha)` elsewhere (a NaN `x` gives NaN, where tfjs-core's
 * gives `dy * alpha`; the forward value is NaN there anyway). Backend-independent: it replaces
 * tfjs-core's registration for every backend once registered (`registerWasmKernels` does).
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @returns the `GradConfig` to give to `tf.registerGradient`.
 */
export function leakyReluGradient(tf: typeof TF): TF.GradConfig {
  return {
    kernelName: tf.LeakyRelu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [TF.Tensor];
      const { alpha } = attrs as unknown as TF.LeakyReluAttrs;
      return { x: () => tf.mul(dy as TF.Tensor, tf.step(x, alpha)) };
    },
  };
}
