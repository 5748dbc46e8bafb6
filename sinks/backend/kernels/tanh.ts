import type * as TF from '@tensorflow/tfjs-core';
import { heapOutput } from './heap-tensor.js';
import { heapOffset, type WasmBackendMemory } from './wasm-backend-memory.js';
import { wrappedKernel } from './wrapped-kernel.js';
import { elementwiseTeamOf } from '../simd/backend-simd-team.js';
import { runTanh } from '../simd/tanh.js';

/**
 * A `Tanh` kernel for the wasm backend that runs the project's SIMD kernel (`simd/tanh.c`, within 2
 * float32 ulps of tanh) split over the backend's threads, for float32 tensors of at least
 * `SIMD_MIN_ELEMENTS` elements on the threaded build; every other call goes to the package's kernel.
 *
 * Why: the package's is a scalar `tanhf` per element on one thread, 3.5 ms for a generator's
 * [64, 32, 32, 3] output, twice in every NDA-GAN step.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `Tanh` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function tanhKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, backend }) => {
    const { x } = inputs as unknown as { x: TF.TensorInfo };
    const team = elementwiseTeamOf(backend, [x]);
    if (team === null) return null;
    const size = tf.util.sizeFromShape(x.shape);
    const memory = backend as unknown as WasmBackendMemory;
    return heapOutput(memory, x.shape, (y) => runTanh(team, size, heapOffset(memory, x), heapOffset(memory, y)));
  });
}
