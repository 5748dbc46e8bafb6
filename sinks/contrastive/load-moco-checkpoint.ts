import type * as TFJS from '@tensorflow/tfjs';
import { join } from 'node:path';
import { rangeError } from '../../sources/errors.js';
import { checkOptimizerState } from '../checkpoint/check-optimizer-state.js';
import { checkWeightShapes } from '../checkpoint/check-weight-shapes.js';
import { loadOptimizerState } from '../checkpoint/load-optimizer-state.js';
import { readCheckpointState } from '../checkpoint/read-checkpoint-state.js';
import { readNamedWeights } from '../checkpoint/read-named-weights.js';
import { resolveStepFolder } from '../checkpoint/resolve-step-folder.js';
import type { MocoModels } from './moco-models.js';
import { MOCO_CHECKPOINT_VERSION, MOCO_MODEL_PARTS } from './save-moco-checkpoint.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const LOAD_MOCO_CHECKPOINT_KEYS = optionKeys<LoadMocoCheckpointOptions>({ models: true, step: true });

/** Options of {@link loadMocoCheckpoint}. */
export interface LoadMocoCheckpointOptions {
  /** The live MoCo state to load into (built like the saved one: same encoder, head and queue sizes, optimizer class). */
  readonly models: MocoModels;
  /** The step to load (its `step-000123` folder). @default undefined (the one the `latest` pointer names) */
  readonly step?: number;
}

/** What {@link loadMocoCheckpoint} read besides the tensors. */
export interface LoadedMocoCheckpoint {
  /** Completed steps saved: the run continues with `startStep: step`. */
  readonly step: number;
  /** The loader state saved (`null` when none was). */
  readonly loaderState: unknown;
  /** The `meta` saved (`null` when none was). */
  readonly meta: unknown;
  /** The step folder loaded. */
  readonly folder: string;
}

/**
 * Loads a checkpoint written by `saveMocoCheckpoint` into live MoCo models: the four networks' weights
 * (matched by order, checked by shape), the optimizer's state, the queue, its pointer and fill. `dir`
 * is the run folder (its `latest` pointer, or `options.step`, names the step folder) or a step folder.
 * Everything is read and checked before anything is assigned, so a failed load leaves the models as
 * they were; every tensor read is released after assignment.
 *
 * @returns what was read, or `null` when `dir` holds no checkpoint at all (no `latest` pointer and no
 *   `state.json`; a fresh run), unless `options.step` names one.
 * @throws Error `Cannot load MoCo checkpoint <folder> as ...` for a missing or corrupt file, another
 *   layout version or optimizer class; RangeError of the same form for counts or shapes that differ.
 */
export async function loadMocoCheckpoint(
  tf: typeof TFJS,
  dir: string,
  options: LoadMocoCheckpointOptions,
): Promise<LoadedMocoCheckpoint | null> {
  checkOptionKeys('loadMocoCheckpoint', options, LOAD_MOCO_CHECKPOINT_KEYS);
  const folder = await resolveStepFolder(dir, options.step, 'MoCo checkpoint');
  if (folder === null) return null;
  const action = `load MoCo checkpoint ${folder}`;
  const state = await readCheckpointState(action, folder, {
    version: MOCO_CHECKPOINT_VERSION,
    kind: { value: 'moco', name: 'MoCo' },
  });
  const { step } = state;
  const { models } = options;
  const size = models.queue.shape[0];
  const pointer = state.queuePointer as number;
  const fill = state.queueFill as number;
  if (!Number.isInteger(pointer) || pointer < 0 || pointer >= size)
    throw rangeError(action, `its queuePointer must be in [0, ${size})`, pointer);
  if (!Number.isInteger(fill) || fill < 0 || fill > size)
    throw rangeError(action, `its queueFill must be in [0, ${size}]`, fill);
  const live = models.optimizer.getClassName();
  if (state.optimizer !== live)
    throw new Error(`Cannot ${action} as the optimizer must be a ${String(state.optimizer)}: current value is ${live}`);

  const read: TFJS.Tensor[] = [];
  try {
    const parts = {} as Record<
      (typeof MOCO_MODEL_PARTS)[number] | 'optimizer' | 'queue',
      { name: string; tensor: TFJS.Tensor }[]
    >;
    for (const part of [...MOCO_MODEL_PARTS, 'optimizer', 'queue'] as const) {
      parts[part] = await readNamedWeights(tf, action, join(folder, part), part);
      read.push(...parts[part].map((n) => n.tensor));
    }
    for (const part of MOCO_MODEL_PARTS)
      checkWeightShapes(
        action,
        `${part} weights`,
        parts[part],
        models[part].weights.map((w) => w.shape),
      );
    checkWeightShapes(action, 'queue', parts.queue, [models.queue.shape]);
    const trainable = [...models.queryEncoder.trainableWeights, ...models.queryHead.trainableWeights].map(
      (w) => w.shape,
    );
    checkOptimizerState(action, 'optimizer state', parts.optimizer, trainable);

    // Everything checked: assign.
    for (const part of MOCO_MODEL_PARTS) models[part].setWeights(parts[part].map((n) => n.tensor));
    tf.tidy(() => models.queue.assign(parts.queue[0]!.tensor.clone()));
    await loadOptimizerState(
      tf,
      models.optimizer,
      parts.optimizer,
      state.betaPowers as Record<string, unknown> | undefined,
    );
    models.queuePointer = pointer;
    models.queueFill = fill;
  } finally {
    tf.dispose(read);
  }
  return { step, loaderState: state.loaderState ?? null, meta: state.meta ?? null, folder };
}
