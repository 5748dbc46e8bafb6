import type * as TF from '@tensorflow/tfjs-core';

/**
 * The methods of tfjs-backend-wasm 4.22.0's `BackendWasm` that the project's kernels use: allocate an
 * output on the wasm heap, view a tensor's bytes on that heap as a typed array (no copy), free it.
 */
export interface WasmBackendMemory {
  makeOutput(shape: number[], dtype: TF.DataType): TF.TensorInfo;
  typedArrayFromHeap(info: TF.TensorInfo): TF.TypedArray;
  disposeData(dataId: TF.DataId): boolean;
}

/** Where `info`'s data starts on the wasm heap, in bytes (what the SIMD kernels take as a pointer). */
export function heapOffset(memory: WasmBackendMemory, info: TF.TensorInfo): number {
  return memory.typedArrayFromHeap(info).byteOffset;
}
