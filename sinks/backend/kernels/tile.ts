import type * as TF from '@tensorflow/tfjs-core';
import type { WasmBackendMemory } from './wasm-backend-memory.js';
import { wrappedKernel } from './wrapped-kernel.js';

/**
 * A `Tile` kernel for the wasm backend written in JS on the wasm heap: the package's is an element-by-element
 * index loop (about 70 ms to tile a `[1, 1, 1, 64]` to `[64, 16, 16, 64]`, which tfjs-core's batch norm
 * gradient does once per layer). Here each axis, innermost first, copies its block once and then doubles
 * it with `copyWithin` until it holds all repetitions, so the cost is a few memcpys of the output.
 * String tensors go to the package's kernel.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `Tile` config for `wasm` (`tf.getKernel('Tile', 'wasm')`).
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function tileKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { x } = inputs as unknown as { x: TF.TensorInfo };
    const { reps } = attrs as unknown as TF.TileAttrs;
    if (x.dtype === 'string' || x.dtype === 'complex64') return null;
    const memory = backend as unknown as WasmBackendMemory;
    const shape = x.shape;
    const outShape = shape.map((s, i) => s * reps[i]!);
    const out = memory.makeOutput(outShape, x.dtype);
    const size = tf.util.sizeFromShape(outShape);
    if (size === 0) return out;
    const src = memory.typedArrayFromHeap(x);
    const dst = memory.typedArrayFromHeap(out);
    tileInto(src, dst, shape, reps);
    return out;
  });
}

/** Writes `tile(src, reps)` (row-major, `src` of shape `shape`) into `dst`. */
export function tileInto(
  src: TF.TypedArray,
  dst: TF.TypedArray,
  shape: readonly number[],
  reps: readonly number[],
): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  const srcStride = new Array<number>(rank);
  const dstStride = new Array<number>(rank);
  srcStride[rank - 1] = 1;
  dstStride[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) {
    srcStride[d] = srcStride[d + 1]! * shape[d + 1]!;
    dstStride[d] = dstStride[d + 1]! * shape[d + 1]! * reps[d + 1]!;
  }
  const fill = (d: number, srcOffset: number, dstOffset: number): void => {
    const n = shape[d]!;
    if (d === rank - 1) dst.set(src.subarray(srcOffset, srcOffset + n), dstOffset);
    else for (let i = 0; i < n; i++) fill(d + 1, srcOffset + i * srcStride[d]!, dstOffset + i * dstStride[d]!);
    // The first repetition of this axis is written: double it until all `reps[d]` are.
    const block = n * dstStride[d]!;
    const total = block * reps[d]!;
    for (let filled = block; filled < total;) {
      const count = Math.min(filled, total - filled);
      dst.copyWithin(dstOffset + filled, dstOffset, dstOffset + count);
      filled += count;
    }
  };
  fill(0, 0, 0);
}
