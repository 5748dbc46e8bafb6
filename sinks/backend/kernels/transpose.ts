import type * as TF from '@tensorflow/tfjs-core';
import type { WasmBackendMemory } from './wasm-backend-memory.js';
import { wrappedKernel } from './wrapped-kernel.js';

/**
 * A `Transpose` kernel for the wasm backend written in JS on the wasm heap: the package's walks the output
 * element by element with a division per axis, about 17 ns an element (244 ms for the
 * `[192, 34, 34, 64]` to `[64, 34, 34, 192]` transpose of a filter gradient; 40-60 ms here). Axes that stay
 * adjacent are merged first; a permutation that keeps the innermost axis copies whole rows
 * (`TypedArray.set`; long rows are left to the package's kernel, as fast), any other is done as 2-D transposes in 32 x 32 tiles between the output's innermost
 * axis and the axis that is innermost in the input, so that both reads and writes stay within cache lines.
 * String and complex tensors go to the package's kernel.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `Transpose` config for `wasm` (`tf.getKernel('Transpose', 'wasm')`).
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function transposeKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { x } = inputs as unknown as { x: TF.TensorInfo };
    const { perm } = attrs as unknown as TF.TransposeAttrs;
    if (x.dtype === 'string' || x.dtype === 'complex64') return null;
    const merged = mergeAxes(x.shape, perm);
    const r = merged.perm.length;
    // rows kept whole: the package's kernel copies them as fast (measured 9 ms against 20 ms here)
    if (merged.perm[r - 1] === r - 1 && merged.shape[r - 1]! >= 16) return null;
    const memory = backend as unknown as WasmBackendMemory;
    const out = memory.makeOutput(
      perm.map((p) => x.shape[p]!),
      x.dtype,
    );
    if (tf.util.sizeFromShape(x.shape) === 0) return out;
    transposeInto(memory.typedArrayFromHeap(x), memory.typedArrayFromHeap(out), x.shape, perm);
    return out;
  });
}

const TILE = 32;

/** Writes `transpose(src, perm)` (row-major, `src` of shape `shape`) into `dst`. */
export function transposeInto(
  src: TF.TypedArray,
  dst: TF.TypedArray,
  shape: readonly number[],
  perm: readonly number[],
): void {
  const { shape: s, perm: p } = mergeAxes(shape, perm);
  const rank = s.length;
  const inStride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) inStride[d] = inStride[d + 1]! * s[d + 1]!;
  const outShape = p.map((a) => s[a]!);
  const outStride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) outStride[d] = outStride[d + 1]! * outShape[d + 1]!;
  // the input stride of each output axis
  const readStride = p.map((a) => inStride[a]!);
  if (p[rank - 1] === rank - 1) {
    // whole rows of the innermost axis
    const row = s[rank - 1]!;
    forEachIndex(outShape, outStride, readStride, rank - 1, -1, (o, i) => {
      if (row >= 16) dst.set(src.subarray(i, i + row), o);
      else for (let k = 0; k < row; k++) dst[o + k] = src[i + k]!;
    });
    return;
  }
  // a 2-D tile between output axis `j` (innermost in the input: read stride 1) and the output's innermost axis
  const j = p.indexOf(rank - 1);
  const ny = outShape[j]!;
  const nx = outShape[rank - 1]!;
  const oy = outStride[j]!;
  const rx = readStride[rank - 1]!;
  forEachIndex(outShape, outStride, readStride, rank - 1, j, (o, i) => {
    for (let y0 = 0; y0 < ny; y0 += TILE) {
      const y1 = Math.min(ny, y0 + TILE);
      for (let x0 = 0; x0 < nx; x0 += TILE) {
        const x1 = Math.min(nx, x0 + TILE);
        for (let y = y0; y < y1; y++) {
          let w = o + y * oy + x0;
          let r = i + y + x0 * rx;
          for (let x = x0; x < x1; x++, w++, r += rx) dst[w] = src[r]!;
        }
      }
    }
  });
}

/**
 * Calls `body(outOffset, inOffset)` for every index of the output axes other than `skipA` and `skipB`
 * (an odometer, last axis fastest).
 */
function forEachIndex(
  outShape: readonly number[],
  outStride: readonly number[],
  readStride: readonly number[],
  skipA: number,
  skipB: number,
  body: (outOffset: number, inOffset: number) => void,
): void {
  const axes = outShape.map((_, d) => d).filter((d) => d !== skipA && d !== skipB);
  const index = axes.map(() => 0);
  let o = 0;
  let i = 0;
  for (;;) {
    body(o, i);
    let k = axes.length - 1;
    for (; k >= 0; k--) {
      const d = axes[k]!;
      if (++index[k]! < outShape[d]!) {
        o += outStride[d]!;
        i += readStride[d]!;
        break;
      }
      index[k] = 0;
      o -= outStride[d]! * (outShape[d]! - 1);
      i -= readStride[d]! * (outShape[d]! - 1);
    }
    if (k < 0) return;
  }
}

/**
 * The same transpose over fewer axes: input axes of size 1 are dropped and input axes that stay adjacent
 * and in order in `perm` are merged (at least one axis is kept).
 */
export function mergeAxes(
  shape: readonly number[],
  perm: readonly number[],
): { readonly shape: number[]; readonly perm: number[] } {
  const kept = perm.filter((a) => shape[a] !== 1);
  if (kept.length === 0) return { shape: [1], perm: [0] };
  // groups of output axes whose input axes are consecutive
  const groups: number[][] = [];
  for (const a of kept) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[last.length - 1]! + 1 === a) last.push(a);
    else groups.push([a]);
  }
  // number the groups in input order
  const order = groups.map((g, k) => [g[0]!, k] as const).sort((u, v) => u[0] - v[0]);
  const newShape = new Array<number>(groups.length);
  const rankOf = new Array<number>(groups.length);
  order.forEach(([, k], r) => {
    rankOf[k] = r;
    newShape[r] = groups[k]!.reduce((n, a) => n * shape[a]!, 1);
  });
  return { shape: newShape, perm: rankOf };
}
