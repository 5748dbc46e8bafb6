import type * as TFJS from '@tensorflow/tfjs';
import type { GeneratorEma } from '../gan/generator-ema.js';

/** The live objects a checkpoint is saved from ({@link saveCheckpoint}) and loaded into ({@link loadCheckpoint}). */
export interface CheckpointParts {
  /** The two networks; all their weights (batch norm's moving statistics included) are kept. */
  readonly models: { readonly generator: TFJS.LayersModel; readonly discriminator: TFJS.LayersModel };
  /** One optimizer per network; their state (`optimizer.getWeights()`: iterations, moments) is kept. */
  readonly optimizers: { readonly generator: TFJS.Optimizer; readonly discriminator: TFJS.Optimizer };
  /**
   * The generator's moving average, if the run keeps one.
   * @default undefined (no EMA saved or loaded)
   */
  readonly ema?: GeneratorEma;
}

/** Version of the checkpoint layout {@link saveCheckpoint} writes and {@link loadCheckpoint} reads. */
export const CHECKPOINT_VERSION = 1;

/** The folder name of step `step` in a run folder (`step-000123`). */
export function stepFolderName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

/** The name of the pointer file in a run folder that holds the latest complete step folder's name. */
export const LATEST_POINTER = 'latest';
