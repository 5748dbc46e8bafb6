import type * as TF from '@tensorflow/tfjs-core';
import {
  BATCH_MOMENTS,
  BATCH_NORM_GRAD,
  compositeBatchMoments,
  compositeBatchNormGrad,
} from './kernels/batch-norm-train.js';
import { activeBackendHas } from './kernels/active-kernel.js';

/** What {@link batchNormTraining} returns: the output, and the batch's moments (for the moving averages). */
export interface BatchNormTraining {
  readonly y: TF.Tensor;
  /** Per channel (the last axis), not differentiable: for the moving averages. */
  readonly mean: TF.Tensor;
  /** Per channel, biased (divided by the rows), not differentiable. */
  readonly variance: TF.Tensor;
}

/**
 * Batch normalisation in training over every axis but the last: `y = gamma * (x - mean) / sqrt(variance
 * + epsilon) + beta` with the batch's own mean and (biased) variance, as tfjs-layers' `batchNormalization`
 * computes it in training, as one differentiable op whose gradient (with respect to `x`, `gamma` and
 * `beta`, through the moments) is two passes over `x` and `dy`: the `NdaflowBatchNormGrad` kernel where
 * the active backend has it (wasm: `registerWasmKernels`), the same formula in a dozen tfjs ops
 * elsewhere. The moments are the `NdaflowBatchMoments` kernel's, or `tf.moments`'. The normalisation
 * itself is `tf.batchNorm`.
 *
 * Why: tfjs-layers' is `tf.moments` and `tf.batchNorm`, differentiated op by op: some 70 kernels per layer
 * in a gradient (a DCGAN generator's three layers: ~60 ms of a step on 2 wasm threads).
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param x the input, channels last (rank 2 or more).
 * @param gamma the scale, one value per channel.
 * @param beta the offset, one value per channel.
 * @param epsilon added to the variance.
 * @returns the output and the moments, in the caller's scope.
 */
export function batchNormTraining(
  tf: typeof TF,
  x: TF.Tensor,
  gamma: TF.Tensor,
  beta: TF.Tensor,
  epsilon: number,
): BatchNormTraining {
  // The moments are taken outside the op and closed over: recorded on the tape, but on no path from x to
  // the output (the op's gradient covers their dependence on x), so backpropagation never visits them.
  const [mean, variance] = activeBackendHas(tf, BATCH_MOMENTS)
    ? tf.engine().runKernel<TF.Tensor[]>(BATCH_MOMENTS, { x })
    : compositeBatchMoments(tf, x);
  const op = tf.customGrad((...args: Array<TF.Tensor | TF.GradSaveFunc>) => {
    const [input, scale, offset, save] = args as [TF.Tensor, TF.Tensor, TF.Tensor, TF.GradSaveFunc];
    save([input, mean!, variance!, scale]);
    return {
      value: tf.batchNorm(input, mean!, variance!, offset, scale, epsilon),
      gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => {
        const [sx, sMean, sVariance, sGamma] = saved as [TF.Tensor, TF.Tensor, TF.Tensor, TF.Tensor];
        if (!activeBackendHas(tf, BATCH_NORM_GRAD))
          return compositeBatchNormGrad(tf, sx, dy, sMean, sVariance, sGamma, epsilon);
        return tf
          .engine()
          .runKernel<TF.Tensor[]>(
            BATCH_NORM_GRAD,
            { x: sx, dy, mean: sMean, variance: sVariance, gamma: sGamma },
            { varianceEpsilon: epsilon },
          );
      },
    };
  });
  return { y: op(x, gamma, beta), mean: mean!, variance: variance! };
}
