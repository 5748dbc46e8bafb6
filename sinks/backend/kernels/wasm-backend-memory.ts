import type * as TF from '@tensorflow/tfjs-core';

/**
 * The two methods of tfjs-backend-wasm 4.22.0's `BackendWasm` that the pure-JS kernels use: allocate an
 * output on the wasm heap, and view a tensor's bytes on that heap as a typed array (no copy).
 */
export interface WasmBackendMemory {
  makeOutput(shape: number[], dtype: TF.DataType): TF.TensorInfo;
  typedArrayFromHeap(info: TF.TensorInfo): TF.TypedArray;
}

/** Where `info`'s data starts on the wasm heap, in bytes (what the SIMD kernels take as a pointer). */
export function heapOffset(memory: WasmBackendMemory, info: TF.TensorInfo): number {
  return memory.typedArrayFromHeap(info).byteOffset;
}
