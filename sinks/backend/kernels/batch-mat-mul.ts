import type * as TF from '@tensorflow/tfjs-core';
import { wrappedKernel } from './wrapped-kernel.js';

/**
 * A `BatchMatMul` kernel for the wasm backend: the package's is fast only without transposes (XNNPACK);
 * with `transposeA` or `transposeB` it runs a scalar loop (about 65 ms for the `[64, 128]^T x [64, 4096]`
 * weight gradient of the DCGAN's dense layer, against about 4 ms here). A transposed operand is
 * transposed explicitly (swap of its last two axes) and the product taken on the fast path.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `BatchMatMul` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function batchMatMulKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs }) => {
    const { a, b } = inputs as unknown as { a: TF.Tensor; b: TF.Tensor };
    const { transposeA, transposeB } = attrs as unknown as TF.BatchMatMulAttrs;
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
