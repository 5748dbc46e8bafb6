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

/** One region of {@link withHeapScratch}: its length in floats, and whether it starts filled with zeros. */
export interface ScratchRegion {
  readonly floats: number;
  readonly zero?: boolean;
}

/**
 * Runs `use` with float32 regions on the wasm heap (their byte offsets, each on a 64-byte boundary, as the
 * SIMD kernels want a packed filter) carved from one scratch allocation, which is freed when `use` returns
 * or throws. Only regions marked `zero` are cleared.
 */
export function withHeapScratch<T>(
  memory: WasmBackendMemory,
  regions: readonly ScratchRegion[],
  use: (at: number[]) => T,
): T {
  const padded = (floats: number): number => Math.ceil(Math.max(1, floats) / 16) * 16;
  const total = regions.reduce((sum, r) => sum + padded(r.floats), 0) + 16;
  const scratch = memory.makeOutput([total], 'float32');
  try {
    const view = memory.typedArrayFromHeap(scratch) as Float32Array;
    let next = Math.ceil(view.byteOffset / 64) * 64;
    const at = regions.map((r) => {
      const here = next;
      next += padded(r.floats) * 4;
      const from = (here - view.byteOffset) / 4;
      if (r.zero === true) view.fill(0, from, from + r.floats);
      return here;
    });
    return use(at);
  } finally {
    memory.disposeData(scratch.dataId);
  }
}
