import type * as TF from '@tensorflow/tfjs-core';
import { wrappedKernel } from './wrapped-kernel.js';
import { SMALL_MATMUL_MACS, simdMatMul } from './batch-mat-mul.js';
import { simdEpilogue } from './fused-epilogue.js';

/**
 * A `_FusedMatMul` kernel for the wasm backend (tfjs's product with a bias and an activation, which
 * tfjs-layers' `dense` runs): the project's SIMD product ({@link simdMatMul}) for a `linear` or `relu`
 * activation and a bias of one value per column (or none), of more than {@link SMALL_MATMUL_MACS}
 * multiply-adds; every other call to the package's kernel.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `_FusedMatMul` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function fusedMatMulKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { a, b } = inputs as unknown as { a: TF.Tensor; b: TF.Tensor };
    const { transposeA, transposeB, activation } = attrs as unknown as TF._FusedMatMulAttrs;
    const epilogue = simdEpilogue(inputs, activation);
    // a small product (D's last layer, to one logit) stays with the package's kernel: the team's call costs as much
    return epilogue === null
      ? null
      : simdMatMul(tf, backend, a, b, transposeA, transposeB, epilogue, SMALL_MATMUL_MACS + 1);
  });
}
