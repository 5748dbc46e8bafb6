import type * as TFJS from '@tensorflow/tfjs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInteger, rangeError } from '../../sources/errors.js';
import { LATEST_POINTER, stepFolderName } from '../checkpoint/checkpoint-parts.js';
import { fileIoHandler } from '../checkpoint/file-io-handler.js';
import type { MocoModels } from './moco-models.js';
import { MOCO_CHECKPOINT_VERSION, MOCO_MODEL_PARTS } from './save-moco-checkpoint.js';

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
export async function loadMocoCheckpoint(tf: typeof TFJS, dir: string, options: LoadMocoCheckpointOptions): Promise<LoadedMocoCheckpoint | null> {
  let folder: string;
  if (options.step !== undefined) {
    folder = join(dir, stepFolderName(checkInteger(`load a MoCo checkpoint from ${dir}`, 'step', options.step, 0)));
  } else if (await exists(join(dir, 'state.json'))) {
    folder = dir;
  } else {
    const pointer = join(dir, LATEST_POINTER);
    if (!(await exists(pointer))) return null;
    const name = (await readFile(pointer, 'utf8')).trim();
    if (!/^step-\d+$/.test(name)) throw new Error(`Cannot load MoCo checkpoint ${dir} as ${pointer} must name a step folder: current value is ${JSON.stringify(name)}`);
    folder = join(dir, name);
  }
  const action = `load MoCo checkpoint ${folder}`;
  const statePath = join(folder, 'state.json');
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`Cannot ${action} as ${statePath} must be a readable JSON file: ${(error as Error).message}`, { cause: error });
  }
  if (typeof state !== 'object' || state === null || state.kind !== 'moco' || state.version !== MOCO_CHECKPOINT_VERSION) {
    throw new Error(`Cannot ${action} as it must be a MoCo checkpoint of version ${MOCO_CHECKPOINT_VERSION}: current value is ${JSON.stringify({ kind: state?.kind, version: state?.version })}`);
  }
  const step = state.step as number;
  if (!Number.isInteger(step) || step < 0) throw new Error(`Cannot ${action} as its step must be an integer >= 0: current value is ${JSON.stringify(step)}`);
  const { models } = options;
  const size = models.queue.shape[0];
  const pointer = state.queuePointer as number;
  const fill = state.queueFill as number;
  if (!Number.isInteger(pointer) || pointer < 0 || pointer >= size) throw rangeError(action, `its queuePointer must be in [0, ${size})`, pointer);
  if (!Number.isInteger(fill) || fill < 0 || fill > size) throw rangeError(action, `its queueFill must be in [0, ${size}]`, fill);
  const live = models.optimizer.getClassName();
  if (state.optimizer !== live) throw new Error(`Cannot ${action} as the optimizer must be a ${String(state.optimizer)}: current value is ${live}`);

  const read: TFJS.Tensor[] = [];
  try {
    const parts = {} as Record<(typeof MOCO_MODEL_PARTS)[number] | 'optimizer' | 'queue', { name: string; tensor: TFJS.Tensor }[]>;
    for (const part of [...MOCO_MODEL_PARTS, 'optimizer', 'queue'] as const) {
      parts[part] = await readNamed(tf, action, join(folder, part), part);
      read.push(...parts[part].map((n) => n.tensor));
    }
    for (const part of MOCO_MODEL_PARTS) checkShapes(action, `${part} weights`, parts[part], models[part].weights.map((w) => w.shape));
    checkShapes(action, 'queue', parts.queue, [models.queue.shape]);
    const trainable = [...models.queryEncoder.trainableWeights, ...models.queryHead.trainableWeights].map((w) => w.shape);
    const moments = parts.optimizer.filter((n) => n.name !== 'iter');
    if (moments.length % trainable.length !== 0) throw rangeError(action, `the optimizer state must hold a multiple of ${trainable.length} tensors besides iter`, moments.length);
    checkShapes(action, 'optimizer state', moments, moments.map((_, i) => trainable[i % trainable.length]!));

    // Everything checked: assign.
    for (const part of MOCO_MODEL_PARTS) models[part].setWeights(parts[part].map((n) => n.tensor));
    tf.tidy(() => models.queue.assign(parts.queue[0]!.tensor.clone()));
    const previous = await models.optimizer.getWeights();
    await models.optimizer.setWeights(parts.optimizer);
    tf.dispose(previous.map((n) => n.tensor));
    restoreBetaPowers(tf, models.optimizer, state.betaPowers as Record<string, unknown> | undefined);
    models.queuePointer = pointer;
    models.queueFill = fill;
  } finally {
    tf.dispose(read);
  }
  return { step, loaderState: state.loaderState ?? null, meta: state.meta ?? null, folder };
}

function restoreBetaPowers(tf: typeof TFJS, optimizer: TFJS.Optimizer, saved: Record<string, unknown> | undefined): void {
  if (saved === undefined || saved === null) return;
  for (const key of ['accBeta1', 'accBeta2']) {
    const v = (optimizer as unknown as Record<string, unknown>)[key];
    const value = saved[key];
    if (v instanceof tf.Variable && v.size === 1 && typeof value === 'number' && Number.isFinite(value)) tf.tidy(() => v.assign(tf.scalar(value, v.dtype)));
  }
}

async function readNamed(tf: typeof TFJS, action: string, dir: string, part: string): Promise<{ name: string; tensor: TFJS.Tensor }[]> {
  let artifacts: TFJS.io.ModelArtifacts;
  try {
    artifacts = await fileIoHandler(tf, dir).load!();
  } catch (error) {
    throw new Error(`Cannot ${action} as its ${part} must be readable: ${(error as Error).message}`, { cause: error });
  }
  const specs = artifacts.weightSpecs ?? [];
  if (new Set(specs.map((s) => s.name)).size !== specs.length) throw new Error(`Cannot ${action} as the ${part} weight names must be unique`);
  const map = tf.io.decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), specs);
  return specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
}

function checkShapes(action: string, what: string, named: readonly { name: string; tensor: TFJS.Tensor }[], shapes: readonly (readonly (number | null)[])[]): void {
  if (named.length !== shapes.length) throw rangeError(action, `the ${what} must be ${shapes.length} tensors`, named.length);
  named.forEach((n, i) => {
    const shape = shapes[i]!;
    if (n.tensor.shape.length !== shape.length || n.tensor.shape.some((s, j) => s !== shape[j])) {
      throw rangeError(action, `the ${what} tensor ${i} (${n.name}) must have shape [${shape.join(', ')}]`, n.tensor.shape);
    }
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
