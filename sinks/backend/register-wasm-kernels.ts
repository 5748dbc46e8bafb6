import type * as TF from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterKernel } from './kernels/conv2d-backprop-filter.js';
import { conv2dBackpropInputKernel } from './kernels/conv2d-backprop-input.js';
import { conv2dKernel, fusedConv2dKernel } from './kernels/conv2d.js';
import { batchMatMulKernel } from './kernels/batch-mat-mul.js';
import { fusedBatchNormKernel } from './kernels/fused-batch-norm.js';
import { batchMomentsKernel, batchNormGradKernel } from './kernels/batch-norm-train.js';
import { fusedMatMulKernel } from './kernels/fused-mat-mul.js';
import { tanhKernel } from './kernels/tanh.js';
import { castKernel, identityKernel } from './kernels/identity.js';
import { conv2dBiasGradient, conv2dBiasKernel } from './conv2d-bias.js';
import { leakyReluGradient, leakyReluGradKernel, leakyReluKernel, reluGradient } from './kernels/leaky-relu.js';
import { meanKernel } from './kernels/mean.js';
import { sumKernel } from './kernels/sum.js';
import { tileKernel } from './kernels/tile.js';
import { transposeKernel } from './kernels/transpose.js';
import {
  avgPoolGradKernel,
  resizeNearestNeighborGradKernel,
  resizeNearestNeighborKernel,
} from './kernels/pool-resize-grads.js';

/**
 * Registers the project's wasm kernels: `Conv2DBackpropFilter` (missing from tfjs-backend-wasm), a
 * faster `Conv2DBackpropInput` (replacing the package's), and wrappers of the package's `Conv2D`, `FusedConv2D`,
 * `FusedBatchNorm`, `_FusedMatMul` and `Tanh` (the project's SIMD kernels on the threaded build, see `simd/`), `Tile`,
 * `BatchMatMul`, `Sum`, `Mean`, `LeakyRelu`, `Transpose`, `Identity`, `Cast`,
 * `AvgPoolGrad`, `ResizeNearestNeighbor` and `ResizeNearestNeighborGrad` that take the cases where those are slow (a broadcast
 * tile, a transposed operand, a reduction over the leading axes, any float32 leaky ReLU, an identity or a cast to
 * the same dtype that can share its input's data) and hand every other call to the package's
 * kernel (see `kernels/wrapped-kernel.ts`); and kernels tfjs lacks, which the project's ops run where
 * they are registered: `NdaflowBatchMoments` and `NdaflowBatchNormGrad` (`batchNormTraining`'s), and `NdaflowConv2dBias` with its gradient (`conv2dWithBias`'s). It also registers the one-pass `NdaflowLeakyReluGrad` kernel
 * and cheaper `LeakyRelu` and `Relu` gradients that run it on wasm (the same numbers in one kernel instead
 * of three, or two elsewhere; see `leakyReluGradient`), which, gradients being
 * backend-independent in tfjs, replace tfjs-core's on every backend; call it after tfjs-core's
 * gradients are loaded (importing `@tensorflow/tfjs` loads them), or they replace it back. Idempotent: a kernel already registered for `wasm` is
 * unregistered first, and a wrapper wraps the package's kernel, never a previous wrapper, so calling it
 * twice neither warns nor stacks registrations. Call it before the backend is initialised or after: the
 * wrappers keep the package kernels' `setupFunc`.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @returns the names of the kernels registered.
 */
export function registerWasmKernels(tf: typeof TF): string[] {
  // The package's own kernels that the wrappers fall back to (a wrapper registered earlier knows its original).
  const own = (name: string): TF.KernelConfig => {
    const config = tf.getKernel(name, 'wasm');
    if (config == null)
      throw new Error(
        `Cannot register the wasm kernels as tfjs-backend-wasm has no ${name} kernel: current value is undefined`,
      );
    return config;
  };
  const fusedConv2d = fusedConv2dKernel(tf, own(tf.FusedConv2D));
  const configs = [
    conv2dBackpropFilterKernel(tf),
    conv2dBackpropInputKernel(tf),
    conv2dKernel(tf, own(tf.Conv2D)),
    fusedConv2d,
    fusedBatchNormKernel(tf, own(tf.FusedBatchNorm)),
    batchMomentsKernel(tf),
    batchNormGradKernel(tf),
    tanhKernel(tf, own(tf.Tanh)),
    tileKernel(tf, own(tf.Tile)),
    batchMatMulKernel(tf, own(tf.BatchMatMul)),
    fusedMatMulKernel(tf, own(tf._FusedMatMul)),
    sumKernel(tf, own(tf.Sum)),
    meanKernel(tf, own(tf.Mean)),
    leakyReluKernel(tf, own(tf.LeakyRelu)),
    leakyReluGradKernel(tf),
    transposeKernel(tf, own(tf.Transpose)),
    identityKernel(own(tf.Identity)),
    castKernel(own(tf.Cast)),
    avgPoolGradKernel(tf, own(tf.AvgPoolGrad)),
    resizeNearestNeighborGradKernel(tf, own(tf.ResizeNearestNeighborGrad)),
    resizeNearestNeighborKernel(own(tf.ResizeNearestNeighbor)),
    conv2dBiasKernel(fusedConv2d),
  ];
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, 'wasm') != null) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  tf.registerGradient(leakyReluGradient(tf));
  tf.registerGradient(reluGradient(tf));
  tf.registerGradient(conv2dBiasGradient(tf));
  return configs.map((c) => c.kernelName);
}
