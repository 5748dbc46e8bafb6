import type * as TF from '@tensorflow/tfjs-core';
import type { WasmBackendMemory } from './wasm-backend-memory.js';

/**
 * A float32 output of `shape` on the wasm heap, written by `write` (which must write every element: the
 * heap memory is not cleared). If `write` throws, the output is freed and the error passed on, so a
 * kernel that fails leaks nothing; otherwise the caller owns it (a kernel returns it to the engine).
 */
export function heapOutput(
  memory: WasmBackendMemory,
  shape: number[],
  write: (out: TF.TensorInfo) => void,
): TF.TensorInfo {
  const info = memory.makeOutput(shape, 'float32');
  try {
    write(info);
  } catch (error) {
    memory.disposeData(info.dataId);
    throw error;
  }
  return info;
}

/**
 * A float32 tensor of `shape` on the wasm heap, written in JS by `fill` (see {@link heapOutput}). The
 * tensor is owned by the engine like any other; dispose it (or let the enclosing `tf.tidy` do so).
 */
export function heapTensor<R extends TF.Rank>(
  tf: typeof TF,
  memory: WasmBackendMemory,
  shape: number[],
  fill: (out: Float32Array) => void,
): TF.Tensor<R> {
  const info = heapOutput(memory, shape, (out) => fill(memory.typedArrayFromHeap(out) as Float32Array));
  return tf.engine().makeTensorFromTensorInfo(info, memory as unknown as TF.KernelBackend) as TF.Tensor<R>;
}
