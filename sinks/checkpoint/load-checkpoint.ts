import type * as TFJS from '@tensorflow/tfjs';
import { join } from 'node:path';
import { CHECKPOINT_VERSION, LATEST_POINTER, type CheckpointParts } from './checkpoint-parts.js';
import { checkOptimizerState } from './check-optimizer-state.js';
import { checkWeightShapes } from './check-weight-shapes.js';
import { loadOptimizerState } from './load-optimizer-state.js';
import { readCheckpointState } from './read-checkpoint-state.js';
import { readNamedWeights } from './read-named-weights.js';
import { resolveStepFolder } from './resolve-step-folder.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const LOAD_CHECKPOINT_KEYS = optionKeys<LoadCheckpointOptions>({
  step: true,
  models: true,
  optimizers: true,
  ema: true,
});

/** The live objects {@link loadCheckpoint} loads into, and which step to load. */
export interface LoadCheckpointOptions extends CheckpointParts {
  /**
   * The step to load (its `step-000123` folder).
   * @default undefined (the step the run folder's `latest` pointer names)
   */
  readonly step?: number;
}

/** What {@link loadCheckpoint} read besides the tensors. */
export interface LoadedCheckpoint {
  /** The step saved (completed steps): the run continues with step `step`. */
  readonly step: number;
  /** The loader state saved (`null` when none was). */
  readonly loaderState: unknown;
  /** The step folder loaded. */
  readonly folder: string;
}

/**
 * Loads a checkpoint written by `saveCheckpoint` into live models, optimizers and EMA (built like the
 * saved ones; layer names may differ, weights are matched by order and checked by shape). `dir` is the
 * run folder (its `latest` pointer, or `options.step`, names the step folder) or a step folder itself.
 *
 * Everything is read and checked before anything is assigned, so a failed load leaves the live objects as
 * they were. The optimizers' previous state is released; every tensor read is released after assignment.
 *
 * @throws Error `Cannot load checkpoint <folder> as ...` for a missing folder or file, a corrupt file,
 * a different layout version or optimizer class; RangeError of the same form for a count or shape that
 * does not match the live objects.
 */
export async function loadCheckpoint(
  tf: typeof TFJS,
  dir: string,
  options: LoadCheckpointOptions,
): Promise<LoadedCheckpoint> {
  checkOptionKeys('loadCheckpoint', options, LOAD_CHECKPOINT_KEYS);
  const folder = await resolveStepFolder(dir, options.step, 'checkpoint');
  if (folder === null)
    throw new Error(
      `Cannot load checkpoint ${dir} as it must hold a ${LATEST_POINTER} pointer or a state.json: neither exists`,
    );
  const action = `load checkpoint ${folder}`;
  const state = (await readCheckpointState(action, folder, { version: CHECKPOINT_VERSION })) as SavedState;
  const { models, optimizers, ema } = options;
  if (ema !== undefined && state.ema !== true)
    throw new Error(`Cannot ${action} as it must hold an EMA: current value is none`);
  for (const which of ['generator', 'discriminator'] as const) {
    const saved = state.optimizers?.[which];
    const live = optimizers[which].getClassName();
    if (saved !== live)
      throw new Error(
        `Cannot ${action} as the ${which} optimizer must be a ${String(saved)}: current value is ${live}`,
      );
  }

  const read: TFJS.Tensor[] = [];
  try {
    const parts = {} as Record<
      'generator' | 'discriminator' | 'generator-optimizer' | 'discriminator-optimizer' | 'ema',
      { name: string; tensor: TFJS.Tensor }[]
    >;
    for (const part of [
      'generator',
      'discriminator',
      'generator-optimizer',
      'discriminator-optimizer',
      ...(ema ? ['ema' as const] : []),
    ] as const) {
      parts[part] = await readNamedWeights(tf, action, join(folder, part), part);
      read.push(...parts[part].map((n) => n.tensor));
    }
    for (const which of ['generator', 'discriminator'] as const) {
      checkWeightShapes(
        action,
        `${which} weights`,
        parts[which],
        models[which].weights.map((w) => w.shape),
      );
      checkOptimizerState(
        action,
        `${which} optimizer state`,
        parts[`${which}-optimizer`],
        models[which].trainableWeights.map((w) => w.shape),
      );
    }
    if (ema)
      checkWeightShapes(
        action,
        'EMA weights',
        parts.ema,
        ema.weights().map((w) => w.tensor.shape),
      );

    // Everything checked: assign.
    for (const which of ['generator', 'discriminator'] as const) {
      models[which].setWeights(parts[which].map((n) => n.tensor));
      await loadOptimizerState(tf, optimizers[which], parts[`${which}-optimizer`], state.betaPowers?.[which]);
    }
    if (ema) ema.load(parts.ema.map((n) => n.tensor));
  } finally {
    tf.dispose(read);
  }
  return { step: state.step, loaderState: state.loaderState ?? null, folder };
}

/** The fields of a GAN checkpoint's `state.json` the loader reads. */
interface SavedState {
  step: number;
  loaderState?: unknown;
  ema?: unknown;
  optimizers?: Record<string, unknown>;
  betaPowers?: Record<string, Record<string, unknown> | undefined>;
}
