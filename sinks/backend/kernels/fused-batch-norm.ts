import type * as TF from '@tensorflow/tfjs-core';
import { heapOutput, withHeapScratch } from './heap-tensor.js';
import { heapOffset, type WasmBackendMemory } from './wasm-backend-memory.js';
import { wrappedKernel } from './wrapped-kernel.js';
import { simdTeamOf } from '../simd/backend-simd-team.js';
import { runBatchNorm } from '../simd/batch-norm.js';

/**
 * A `FusedBatchNorm` kernel for the wasm backend (tfjs's `batchNorm`, which tfjs-layers'
 * `batchNormalization` runs in training and inference) that runs the project's SIMD kernel
 * (`simd/batch-norm.c`) on the threaded build when `x` is float32 and every parameter (mean, variance,
 * and the offset and scale where given) has one float32 value per channel of `x`'s last axis, and hands
 * every other call to the package's kernel.
 *
 * Why: the package's kernel is a scalar loop that divides by a square root per element (8 ms for a
 * [64, 32, 32, 32] tensor on 2 cores, where the SIMD kernel, split over the backend's threads, takes
 * under 1). The per-channel factor `scale / sqrt(variance + epsilon)` is computed once per channel, in
 * float32 as the package does.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `FusedBatchNorm` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function fusedBatchNormKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { x, mean, variance, offset, scale } = inputs as unknown as Record<string, TF.TensorInfo | undefined>;
    const { varianceEpsilon } = attrs as unknown as TF.FusedBatchNormAttrs;
    if (x === undefined || mean === undefined || variance === undefined || x.dtype !== 'float32') return null;
    const channels = x.shape[x.shape.length - 1] ?? 1;
    const params = [mean, variance, offset, scale].filter((t): t is TF.TensorInfo => t != null);
    if (params.some((t) => t.dtype !== 'float32' || tf.util.sizeFromShape(t.shape) !== channels)) return null;
    const size = tf.util.sizeFromShape(x.shape);
    const team = size > 0 ? simdTeamOf(backend) : null;
    if (team === null) return null;
    const memory = backend as unknown as WasmBackendMemory;
    return withHeapScratch(memory, [{ floats: channels }], ([a]) => {
      const heap = (t: TF.TensorInfo): Float32Array => memory.typedArrayFromHeap(t) as Float32Array;
      const factors = new Float32Array(channels);
      const v = heap(variance);
      const s = scale == null ? null : heap(scale);
      for (let c = 0; c < channels; c++)
        factors[c] = Math.fround(
          (s === null ? 1 : s[c]!) / Math.fround(Math.sqrt(Math.fround(v[c]! + varianceEpsilon))),
        );
      return heapOutput(memory, x.shape, (y) => {
        // the output's allocation may have grown the heap: view it afresh
        new Float32Array(memory.typedArrayFromHeap(y).buffer, a, channels).set(factors);
        const at = (t: TF.TensorInfo): number => heapOffset(memory, t);
        runBatchNorm(team, size / channels, channels, {
          x: at(x),
          y: at(y),
          mean: at(mean),
          a: a!,
          offset: offset == null ? 0 : at(offset),
        });
      });
    });
  });
}
