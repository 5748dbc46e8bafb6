import type * as TF from '@tensorflow/tfjs-core';
import { heapOutput } from './heap-tensor.js';
import { heapOffset, type WasmBackendMemory } from './wasm-backend-memory.js';
import { wrappedKernel } from './wrapped-kernel.js';
import { elementwiseTeamOf } from '../simd/backend-simd-team.js';
import { activeBackendHas } from './active-kernel.js';
import { runLeakyRelu, runLeakyReluGrad } from '../simd/leaky-relu.js';

/**
 * The name of the one-pass gradient of a leaky ReLU (of a ReLU with alpha 0) that
 * {@link leakyReluGradKernel} registers for wasm; tfjs has no such kernel, and other backends go without.
 */
export const LEAKY_RELU_GRAD = 'NdaflowLeakyReluGrad';

/**
 * A `LeakyRelu` kernel for the wasm backend: a float32 leaky ReLU runs in one pass of the project's SIMD
 * kernel (`simd/leaky-relu.c`) split over the backend's threads, or, on the single-threaded build and for
 * small tensors, as `x * step(x, alpha)` (`Step` gives 1 where x > 0, else alpha), two of the package's
 * vectorised element-wise kernels. The package's `LeakyRelu`, and its `Prelu` with a scalar slope, walk
 * the tensor one element at a time: on a `[192, 16, 16, 64]` activation, 2 wasm threads, best of 22
 * calls, Prelu 51 ms against 3.2 ms for the two kernels (2026-12-06, on a shared machine: medians are
 * noise, minima are not). The slope is rounded to float32 (the cpu backend multiplies by the double), so
 * results may differ from the cpu backend's in the last bit. Other dtypes go to the package's kernel. The
 * tape records `LeakyRelu`, not the kernels inside: its gradient is {@link leakyReluGradient}'s (or
 * tfjs-core's).
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `LeakyRelu` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function leakyReluKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { x } = inputs as unknown as { x: TF.Tensor };
    const { alpha } = attrs as unknown as TF.LeakyReluAttrs;
    if (x.dtype !== 'float32') return null;
    const team = elementwiseTeamOf(backend, [x]);
    if (team === null) return tf.tidy(() => tf.mul(x, tf.step(x, alpha)));
    const memory = backend as unknown as WasmBackendMemory;
    const size = tf.util.sizeFromShape(x.shape);
    return heapOutput(memory, x.shape, (y) =>
      runLeakyRelu(team, size, alpha, heapOffset(memory, x), heapOffset(memory, y)),
    );
  });
}

/**
 * The {@link LEAKY_RELU_GRAD} kernel for wasm: `dx = dy * step(x, alpha)` in one pass of the SIMD kernel
 * (float32, at least `SIMD_MIN_ELEMENTS` elements, the threaded build), else as `Step` and
 * `Multiply`. The same numbers either way: `dy` where x > 0, `dy * float32(alpha)` elsewhere, NaN where
 * `x` is NaN. As two kernels, `Step` writes a tensor that `Multiply` reads back: on the DCGAN's
 * activations the pair was ~20 ms of a step.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param options `simd: false` keeps `Step` and `Multiply` on the threaded build too (what the benchmarks compare against).
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function leakyReluGradKernel(tf: typeof TF, options: { readonly simd?: boolean } = {}): TF.KernelConfig {
  const { simd = true } = options;
  return {
    kernelName: LEAKY_RELU_GRAD,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy } = inputs as unknown as { x: TF.Tensor; dy: TF.Tensor };
      const { alpha } = attrs as unknown as { alpha: number };
      const team = simd ? elementwiseTeamOf(backend, [x, dy]) : null;
      if (team === null) return tf.tidy(() => slopeOf(tf, x, dy, alpha));
      const memory = backend as unknown as WasmBackendMemory;
      const at = (t: TF.TensorInfo): number => heapOffset(memory, t);
      const size = tf.util.sizeFromShape(x.shape);
      return heapOutput(memory, x.shape, (dx) => runLeakyReluGrad(team, size, alpha, at(x), at(dy), at(dx)));
    },
  };
}

/** `dy * step(x, alpha)` in tfjs ops, as tfjs-core's ReLU gradient computes it (`Step` cast to float32). */
function slopeOf(tf: typeof TF, x: TF.Tensor, dy: TF.Tensor, alpha: number): TF.Tensor {
  return tf.mul(dy, tf.cast(tf.step(x, alpha), 'float32'));
}

/** `dy * step(x, alpha)`: {@link LEAKY_RELU_GRAD} where the active backend has it, else `Step` and `Multiply`. */
function slopeGradient(tf: typeof TF, x: TF.Tensor, dy: TF.Tensor, alpha: number): TF.Tensor {
  if (!activeBackendHas(tf, LEAKY_RELU_GRAD)) return slopeOf(tf, x, dy, alpha);
  return tf.engine().runKernel<TF.Tensor>(LEAKY_RELU_GRAD, { x, dy }, { alpha });
}

/**
 * The gradient of `LeakyRelu` as `dy * step(x, alpha)`: one kernel on wasm ({@link LEAKY_RELU_GRAD}),
 * `Step` and `Multiply` elsewhere, where tfjs-core's is `where(greater(x, 0), dy, dy * alpha)`, three
 * kernels, of which `Greater` against a scalar and `Select` are scalar loops on wasm (the same
 * `[192, 16, 16, 64]` tensors: 24.5 ms against 3.4 ms for the two, best of 22). The same numbers: `dy`
 * where x > 0, `dy * float32(alpha)` elsewhere (a NaN `x` gives NaN, where tfjs-core's gives
 * `dy * alpha`; the forward value is NaN there anyway). Backend-independent: it replaces tfjs-core's
 * registration for every backend once registered (`registerWasmKernels` does).
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
      return { x: () => slopeGradient(tf, x, dy as TF.Tensor, alpha) };
    },
  };
}

/**
 * The gradient of `Relu`, tfjs-core's `dy * step(x)` (the same numbers), in one kernel on wasm
 * ({@link LEAKY_RELU_GRAD} with alpha 0) instead of `Step`, `Cast` and `Multiply`. Backend-independent
 * like {@link leakyReluGradient}.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @returns the `GradConfig` to give to `tf.registerGradient`.
 */
export function reluGradient(tf: typeof TF): TF.GradConfig {
  return {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [TF.Tensor];
      return { x: () => slopeGradient(tf, x, dy as TF.Tensor, 0) };
    },
  };
}
