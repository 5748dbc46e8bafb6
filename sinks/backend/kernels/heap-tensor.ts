import type * as TF from '@tensorflow/tfjs-core';
import type { WasmBackendMemory } from './wasm-backend-memory.js';

/**
 * A float32 tensor of `shape` on the wasm heap, written in JS by `fill` (which must write every element:
 * the heap memory is not cleared). The tensor is owned by the engine like any other; dispose it (or let
 * the enclosing `tf.tidy` do so).
 */
export function heapTensor<R extends TF.Rank>(
  tf: typeof TF,
  memory: WasmBackendMemory,
  shape: number[],
  fill: (out: Float32Array) => void,
): TF.Tensor<R> {
  const info = memory.makeOutput(shape, 'float32');
  fill(memory.typedArrayFromHeap(info) as Float32Array);
  return tf.engine().makeTensorFromTensorInfo(info, memory as unknown as TF.KernelBackend) as TF.Tensor<R>;
}
