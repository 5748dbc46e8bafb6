/**
 * What the NDA-GAN step benchmarks (`bench:train-step`, its profile and `bench:train-step-versus`) share:
 * the step's sizes, the default widths, and steps alternating between kernel sets in one process.
 */
import type * as TFJS from '@tensorflow/tfjs';
import type { GanArchitecture } from '../sinks/gan/create-gan.js';
import { batchMomentsKernel, batchNormGradKernel } from '../sinks/backend/kernels/batch-norm-train.js';
import { leakyReluGradKernel } from '../sinks/backend/kernels/leaky-relu.js';
import { ndaGanStep } from '../sinks/gan/hinge-nda-step.js';
import type { GanModels, GanOptimizers } from '../sinks/gan/hinge-nda-step.js';

/** Images per step, their size (RGB) and the latent size. */
export const BATCH = 64;
export const SIZE = 32;
export const Z = 128;

/**
 * Widths when `--ch` is not given: the DCGAN at 64 filters (the issue's), SN-ResNet at 32, BigGAN at
 * ch 16 (64 channels: the paper's ch 64 is ~16x the multiply-adds, ~1.2 TMAC a step, minutes a step on
 * two cores; pass `--ch 64` for it).
 */
export const DEFAULT_CH: Readonly<Record<GanArchitecture, number>> = { dcgan: 64, 'sn-resnet': 32, biggan: 16 };

/**
 * The kernels the project registers that tfjs lacks (its ops run them where registered), each with its
 * SIMD path off (`{ simd: false }`: the composite path it falls back to), by name: what the benchmarks
 * put in their place to compare against a build, or the package, without them.
 */
export function ownKernelsWithoutSimd(tf: typeof TFJS): Map<string, TFJS.KernelConfig> {
  return new Map(
    [
      leakyReluGradKernel(tf, { simd: false }),
      batchMomentsKernel(tf, { simd: false }),
      batchNormGradKernel(tf, { simd: false }),
    ].map((c) => [c.kernelName, c]),
  );
}

/** Registers `configs` over whatever the backends have for their kernels. */
export function installKernels(tf: typeof TFJS, configs: readonly TFJS.KernelConfig[]): void {
  for (const c of configs) {
    tf.unregisterKernel(c.kernelName, c.backendName);
    tf.registerKernel(c);
  }
}

/** One NDA-GAN step as `hinge-nda-step.ts` exports it (another build's may be passed). */
export type GanStep = typeof ndaGanStep;

/**
 * One side of {@link alternateSteps}: its kernels, its optimizers, a clock switched on while its timed
 * steps run, and optionally networks, a step function and gradients of its own (registered before each
 * of its steps; gradients are global in tfjs).
 */
export interface StepVariant {
  readonly kernels: readonly TFJS.KernelConfig[];
  readonly optimizers: GanOptimizers;
  readonly clock?: { on: boolean };
  /** @default the networks passed to {@link alternateSteps} */
  readonly models?: GanModels;
  /** @default this build's `ndaGanStep` */
  readonly step?: GanStep;
  readonly gradients?: readonly TFJS.GradConfig[];
}

/**
 * One untimed round and `steps` timed rounds of NDA-GAN steps on `models` (or each variant's own), each
 * round running every variant once with its kernels (and gradients) installed (in reverse order every
 * other round, so that none always goes first); returns each variant's step times in milliseconds.
 */
export async function alternateSteps<K extends string>(
  tf: typeof TFJS,
  models: GanModels,
  inputs: { readonly real: TFJS.Tensor4D; readonly negative: TFJS.Tensor4D },
  variants: Readonly<Record<K, StepVariant>>,
  steps: number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(variants) as K[];
  const times = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let step = -1; step < steps; step++) {
    for (const which of step % 2 === 0 ? names : [...names].reverse()) {
      const v = variants[which];
      installKernels(tf, v.kernels);
      for (const g of v.gradients ?? []) tf.registerGradient(g);
      const z = tf.randomNormal<TFJS.Rank.R2>([BATCH, Z], 0, 1, 'float32', 2 * step + 4);
      const zG = tf.randomNormal<TFJS.Rank.R2>([BATCH, Z], 0, 1, 'float32', 2 * step + 5);
      if (v.clock) v.clock.on = step >= 0;
      const start = performance.now();
      await (v.step ?? ndaGanStep)(tf, v.models ?? models, v.optimizers, { ...inputs, z, zG });
      if (step >= 0) times[which].push(performance.now() - start);
      if (v.clock) v.clock.on = false;
      tf.dispose([z, zG]);
    }
  }
  return times;
}
