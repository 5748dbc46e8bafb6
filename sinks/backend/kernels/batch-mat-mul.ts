import type * as TF from '@tensorflow/tfjs-core';
import type { WasmBackendMemory } from './wasm-backend-memory.js';
import { wrappedKernel } from './wrapped-kernel.js';

/**
 * Products of at most this many multiply-adds (and one matrix each side) are computed in JS: XNNPACK
 * repacks the right operand as weights on every call, about 1.2 ms for the `[1, 64] x [64, 576]`
 * products of a spectral norm's power iteration (BigGAN runs ~200 such a step), against ~0.05 ms here.
 */
export const SMALL_MATMUL_MACS = 1 << 18;

/**
 * A `BatchMatMul` kernel for the wasm backend: the package's is fast only without transposes (XNNPACK);
 * with `transposeA` or `transposeB` it runs a scalar loop (about 65 ms for the `[64, 128]^T x [64, 4096]`
 * weight gradient of the DCGAN's dense layer, against about 4 ms here). A transposed operand is
 * transposed explicitly (swap of its last two axes) and the product taken on the fast path. A float32
 * product of two matrices (no batch) of at most {@link SMALL_MATMUL_MACS} multiply-adds is a JS loop on
 * the wasm heap (the spectral norms' power iterations), whatever the transposes.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `BatchMatMul` config for `wasm`.
 * @param smallMacs products of at most this many multiply-adds take the JS loop; 0 turns it off (to
 *   measure against). @default SMALL_MATMUL_MACS
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function batchMatMulKernel(
  tf: typeof TF,
  original: TF.KernelConfig,
  smallMacs: number = SMALL_MATMUL_MACS,
): TF.KernelConfig {
  if (!(Number.isInteger(smallMacs) && smallMacs >= 0))
    throw new RangeError(
      `Cannot register the wasm BatchMatMul kernel as smallMacs must be an integer >= 0: current value is ${smallMacs}`,
    );
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { a, b } = inputs as unknown as { a: TF.Tensor; b: TF.Tensor };
    const { transposeA, transposeB } = attrs as unknown as TF.BatchMatMulAttrs;
    const small = smallMatMul(tf, backend as unknown as WasmBackendMemory, a, b, transposeA, transposeB, smallMacs);
    if (small !== null) return small;
    if (!transposeA && !transposeB) return null;
    return tf.tidy(() => tf.matMul(transposeA ? swapLast(tf, a) : a, transposeB ? swapLast(tf, b) : b));
  });
}

function swapLast(tf: typeof TF, x: TF.Tensor): TF.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return tf.transpose(x, perm);
}

/** `a x b` of two float32 matrices (batch 1) of at most `limit` multiply-adds, else `null`. */
function smallMatMul(
  tf: typeof TF,
  memory: WasmBackendMemory,
  a: TF.Tensor,
  b: TF.Tensor,
  transposeA: boolean,
  transposeB: boolean,
  limit: number,
): TF.TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (tf.util.sizeFromShape(a.shape.slice(0, -2)) !== 1 || tf.util.sizeFromShape(b.shape.slice(0, -2)) !== 1)
    return null;
  const m = a.shape[transposeA ? ra - 1 : ra - 2]!;
  const k = a.shape[transposeA ? ra - 2 : ra - 1]!;
  const n = b.shape[transposeB ? rb - 2 : rb - 1]!;
  if (b.shape[transposeB ? rb - 1 : rb - 2] !== k || m * k * n > limit) return null;
  const outBatch = ra >= rb ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
  const out = memory.makeOutput([...outBatch, m, n], 'float32');
  const x = memory.typedArrayFromHeap(a) as Float32Array;
  const y = memory.typedArrayFromHeap(b) as Float32Array;
  const z = memory.typedArrayFromHeap(out) as Float32Array;
  // element (i, p) of A at i * ai + p * ap; (p, j) of B at p * bp + j * bj
  const [ai, ap] = transposeA ? [1, m] : [k, 1];
  const [bp, bj] = transposeB ? [1, k] : [n, 1];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0, u = i * ai, v = j * bj; p < k; p++, u += ap, v += bp) sum += x[u]! * y[v]!;
      z[i * n + j] = sum;
    }
  }
  return out;
}
