import type * as TF from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackendMemory } from './wasm-backend-memory.js';
import { wrappedKernel } from './wrapped-kernel.js';
import type { SimdEpilogue } from './fused-epilogue.js';
import { heapOutput, withHeapScratch } from './heap-tensor.js';
import { simdTeamOf } from '../simd/backend-simd-team.js';
import { packedFilterLength } from '../simd/conv2d.js';
import { matMulGeometry, runMatMul } from '../simd/mat-mul.js';

/**
 * Products of at most this many multiply-adds (and one matrix each side) are computed in JS: XNNPACK
 * repacks the right operand as weights on every call, about 1.2 ms for the `[1, 64] x [64, 576]`
 * products of a spectral norm's power iteration (BigGAN runs ~200 such a step), against ~0.05 ms here.
 */
export const SMALL_MATMUL_MACS = 1 << 18;

/**
 * A `BatchMatMul` kernel for the wasm backend: the package's is fast only without transposes (XNNPACK);
 * with `transposeA` or `transposeB` it runs a scalar loop (about 65 ms for the `[64, 128]^T x [64, 4096]`
 * weight gradient of the DCGAN's dense layer). A float32 product of two matrices (no batch) of at most
 * {@link SMALL_MATMUL_MACS} multiply-adds with one row or one column is a JS loop on the wasm heap (the
 * spectral norms' power iterations), whatever the transposes; any other float32 product of two matrices
 * is the project's SIMD convolution on the threaded build ({@link simdMatMul}), or the JS loop if small;
 * otherwise a transposed operand is transposed explicitly (swap of its last two axes) and the product
 * taken on the package's fast path.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `BatchMatMul` config for `wasm`.
 * @param smallMacs products of at most this many multiply-adds take the JS loop; 0 turns it off (to
 *   measure against). @default SMALL_MATMUL_MACS
 * @param simd take larger products on the SIMD convolution where it can; false to measure against. @default true
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function batchMatMulKernel(
  tf: typeof TF,
  original: TF.KernelConfig,
  smallMacs: number = SMALL_MATMUL_MACS,
  simd = true,
): TF.KernelConfig {
  if (!(Number.isInteger(smallMacs) && smallMacs >= 0))
    throw new RangeError(
      `Cannot register the wasm BatchMatMul kernel as smallMacs must be an integer >= 0: current value is ${smallMacs}`,
    );
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { a, b } = inputs as unknown as { a: TF.Tensor; b: TF.Tensor };
    const { transposeA, transposeB } = attrs as unknown as TF.BatchMatMulAttrs;
    const memory = backend as unknown as WasmBackendMemory;
    const p = productShape(tf, a, b, transposeA, transposeB);
    if (p !== null) {
      const small = p.m * p.k * p.n <= smallMacs;
      // a vector's product (a power iteration's) is quicker in JS than a call to the SIMD team
      if (small && (p.m === 1 || p.n === 1)) return smallMatMul(memory, p, a, b, transposeA, transposeB);
      const fast = simd ? simdMatMul(tf, backend, a, b, transposeA, transposeB, { relu: false }) : null;
      if (fast !== null) return fast;
      if (small) return smallMatMul(memory, p, a, b, transposeA, transposeB);
    }
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

/** The sizes of a product `[m, k] x [k, n]` of two float32 matrices (no batch) and its output's shape. */
interface ProductShape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly outShape: number[];
}

/** {@link ProductShape} of `a x b` (after the transposes); `null` for other dtypes, a batch, or sizes that do not match. */
function productShape(
  tf: typeof TF,
  a: TF.TensorInfo,
  b: TF.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): ProductShape | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (tf.util.sizeFromShape(a.shape.slice(0, -2)) !== 1 || tf.util.sizeFromShape(b.shape.slice(0, -2)) !== 1)
    return null;
  const m = a.shape[transposeA ? ra - 1 : ra - 2]!;
  const k = a.shape[transposeA ? ra - 2 : ra - 1]!;
  const n = b.shape[transposeB ? rb - 2 : rb - 1]!;
  if (b.shape[transposeB ? rb - 1 : rb - 2] !== k) return null;
  return { m, k, n, outShape: [...(ra >= rb ? a.shape.slice(0, -2) : b.shape.slice(0, -2)), m, n] };
}

/** `a x b` in a JS loop on the wasm heap (small products). */
function smallMatMul(
  memory: WasmBackendMemory,
  { m, k, n, outShape }: ProductShape,
  a: TF.TensorInfo,
  b: TF.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TF.TensorInfo {
  const out = memory.makeOutput(outShape, 'float32');
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

/**
 * `a x b` (+ bias, ReLU) of two float32 matrices (no batch) of at least `minMacs` multiply-adds as a 1x1
 * convolution of the project's SIMD kernel (`simd/mat-mul.ts`), on the threaded
 * build; `null` otherwise. `b` is packed (and transposed, with `transposeB`) by the kernel's packing; a
 * transposed `a` is transposed explicitly (the operands of the networks' weight gradients are small),
 * except for a product with one column, taken the other way round (`(a^T b)^T = b^T a`, the same numbers
 * in the same order in memory: D's last dense layer's gradient).
 *
 * Why: XNNPACK packs `b` on every call (its operator is not cached for new weights), and with a
 * transpose the package runs a scalar loop; here `b` is packed in one pass and the product runs at the
 * convolution's rate (G's first layer, `[64, 128] x [128, 4096]`, 7-12 ms in the package's kernel).
 */
export function simdMatMul(
  tf: typeof TF,
  backend: object,
  a: TF.Tensor,
  b: TF.Tensor,
  transposeA: boolean,
  transposeB: boolean,
  epilogue: SimdEpilogue,
  minMacs = 0,
): TF.TensorInfo | null {
  const p = productShape(tf, a, b, transposeA, transposeB);
  if (p === null || p.m * p.k * p.n < minMacs) return null;
  const { m, k, n, outShape } = p;
  const ra = a.shape.length;
  const { bias, relu } = epilogue;
  if (bias !== undefined && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n)) return null;
  const team = simdTeamOf(backend);
  if (team === null) return null;
  const memory = backend as unknown as WasmBackendMemory;
  // one column, no bias: y^T [1, m] = b^T [1, k] x a^T, whose rows (a as stored, [k, m]) need no transpose
  const swap = transposeA && n === 1 && bias === undefined;
  const left = swap
    ? b
    : transposeA
      ? tf.transpose(
          a,
          [...a.shape.keys()].map((i) => (i < ra - 2 ? i : 2 * ra - 3 - i)),
        )
      : a;
  try {
    const [rows, cols, right, rightTransposed] = swap ? [1, m, a, false] : [m, n, b, transposeB];
    const g = matMulGeometry(rows, k, cols);
    const scratch = [{ floats: k, zero: true }, { floats: packedFilterLength(g) }];
    return withHeapScratch(memory, scratch, ([zero, packed]) =>
      heapOutput(memory, outShape, (y) => {
        const at = (t: TF.TensorInfo): number => heapOffset(memory, t);
        runMatMul(team, rows, k, cols, rightTransposed, {
          a: at(left),
          b: at(right),
          y: at(y),
          zero: zero!,
          packed: packed!,
          bias: bias === undefined ? 0 : at(bias),
          relu,
        });
      }),
    );
  } finally {
    if (left !== a && left !== b) left.dispose();
  }
}
