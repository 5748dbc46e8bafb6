import type * as TFJS from '@tensorflow/tfjs';
import type * as TF from '@tensorflow/tfjs-core';
import { createAdam } from '../backend/fused-adam.js';
import type { GanOptimizers } from './hinge-nda-step.js';

/**
 * The official NDA-GAN optimizers: Adam 2e-4, betas (0, 0.999), one per network; on the threaded wasm
 * backend each update is the fused SIMD kernel (`createAdam`), elsewhere tfjs-core's own. The caller
 * disposes them.
 */
export function createGanOptimizers(tf: typeof TFJS): GanOptimizers {
  const core = tf as unknown as typeof TF;
  return { generator: createAdam(core, 2e-4, 0, 0.999), discriminator: createAdam(core, 2e-4, 0, 0.999) };
}
