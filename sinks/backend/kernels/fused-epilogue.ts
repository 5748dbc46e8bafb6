import type * as TF from '@tensorflow/tfjs-core';

/** What the SIMD kernels add after a fused kernel's sum: a bias (one value per output channel), a ReLU. */
export interface SimdEpilogue {
  readonly bias?: TF.TensorInfo;
  readonly relu: boolean;
}

/**
 * The epilogue of a tfjs fused kernel (`FusedConv2D`, `_FusedMatMul`: their `bias` and
 * `preluActivationWeights` inputs, their `activation`) as the SIMD kernels apply it; `null` for PReLU
 * weights or an activation other than `linear` and `relu`, which the package's kernel keeps. The bias's
 * size is the caller's to check.
 */
export function simdEpilogue(inputs: object, activation: TF.fused.Activation): SimdEpilogue | null {
  const { bias, preluActivationWeights } = inputs as { bias?: TF.TensorInfo; preluActivationWeights?: TF.TensorInfo };
  if (preluActivationWeights != null || (activation !== 'linear' && activation !== 'relu')) return null;
  return { ...(bias == null ? {} : { bias }), relu: activation === 'relu' };
}
