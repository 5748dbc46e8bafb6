import type * as TFJS from '@tensorflow/tfjs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInteger, rangeError } from '../../sources/errors.js';
import { CHECKPOINT_VERSION, LATEST_POINTER, stepFolderName, type CheckpointParts } from './checkpoint-parts.js';
import { fileIoHandler } from './file-io-handler.js';

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
export async function loadCheckpoint(tf: typeof TFJS, dir: string, options: LoadCheckpointOptions): Promise<LoadedCheckpoint> {
  const folder = await resolveFolder(dir, options.step);
  const action = `load checkpoint ${folder}`;
  const state = await readState(action, folder);
  const { models, optimizers, ema } = options;
  if (ema !== undefined && state.ema !== true) throw new Error(`Cannot ${action} as it must hold an EMA: current value is none`);
  for (const which of ['generator', 'discriminator'] as const) {
    const saved = state.optimizers?.[which];
    const live = optimizers[which].getClassName();
    if (saved !== live) throw new Error(`Cannot ${action} as the ${which} optimizer must be a ${String(saved)}: current value is ${live}`);
  }

  const read: TFJS.Tensor[] = [];
  try {
    const parts = {} as Record<'generator' | 'discriminator' | 'generator-optimizer' | 'discriminator-optimizer' | 'ema', { name: string; tensor: TFJS.Tensor }[]>;
    for (const part of ['generator', 'discriminator', 'generator-optimizer', 'discriminator-optimizer', ...(ema ? ['ema' as const] : [])] as const) {
      parts[part] = await readNamed(tf, action, join(folder, part), part);
      read.push(...parts[part].map((n) => n.tensor));
    }
    for (const which of ['generator', 'discriminator'] as const) {
      checkShapes(action, `${which} weights`, parts[which], models[which].weights.map((w) => w.shape));
      const trainable = models[which].trainableWeights.map((w) => w.shape);
      const moments = parts[`${which}-optimizer`].filter((n) => n.name !== 'iter');
      if (trainable.length === 0 || moments.length % trainable.length !== 0) {
        throw rangeError(action, `the ${which} optimizer state must hold a multiple of ${trainable.length} tensors besides iter`, moments.length);
      }
      const expected = moments.map((_, i) => trainable[i % trainable.length]!);
      checkShapes(action, `${which} optimizer state`, moments, expected);
    }
    if (ema) checkShapes(action, 'EMA weights', parts.ema, ema.weights().map((w) => w.tensor.shape));

    // Everything checked: assign.
    for (const which of ['generator', 'discriminator'] as const) {
      models[which].setWeights(parts[which].map((n) => n.tensor));
      const previous = await optimizers[which].getWeights();
      await optimizers[which].setWeights(parts[`${which}-optimizer`]);
      tf.dispose(previous.map((n) => n.tensor));
      restoreBetaPowers(tf, optimizers[which], state.betaPowers?.[which]);
    }
    if (ema) ema.load(parts.ema.map((n) => n.tensor));
  } finally {
    tf.dispose(read);
  }
  return { step: state.step, loaderState: state.loaderState ?? null, folder };
}

interface SavedState {
  version: unknown;
  step: number;
  loaderState?: unknown;
  ema?: unknown;
  optimizers?: Record<string, unknown>;
  betaPowers?: Record<string, Record<string, unknown> | undefined>;
}

/** Puts back Adam's saved `accBeta1` / `accBeta2` (its setWeights recomputes them slightly differently). */
function restoreBetaPowers(tf: typeof TFJS, optimizer: TFJS.Optimizer, saved: Record<string, unknown> | undefined): void {
  if (saved === undefined || saved === null) return;
  for (const key of ['accBeta1', 'accBeta2']) {
    const v = (optimizer as unknown as Record<string, unknown>)[key];
    const value = saved[key];
    if (v instanceof tf.Variable && v.size === 1 && typeof value === 'number' && Number.isFinite(value)) {
      tf.tidy(() => v.assign(tf.scalar(value, v.dtype)));
    }
  }
}

async function resolveFolder(dir: string, step: number | undefined): Promise<string> {
  if (step !== undefined) {
    checkInteger(`load checkpoint from ${dir}`, 'step', step, 0);
    return join(dir, stepFolderName(step));
  }
  if (await exists(join(dir, 'state.json'))) return dir;
  const pointer = join(dir, LATEST_POINTER);
  let name: string;
  try {
    name = (await readFile(pointer, 'utf8')).trim();
  } catch (error) {
    throw new Error(`Cannot load checkpoint ${dir} as it must hold a ${LATEST_POINTER} pointer or a state.json: ${(error as Error).message}`, { cause: error });
  }
  if (!/^step-\d+$/.test(name)) throw new Error(`Cannot load checkpoint ${dir} as ${pointer} must name a step folder: current value is ${JSON.stringify(name)}`);
  return join(dir, name);
}

async function readState(action: string, folder: string): Promise<SavedState> {
  const path = join(folder, 'state.json');
  let state: SavedState;
  try {
    state = JSON.parse(await readFile(path, 'utf8')) as SavedState;
  } catch (error) {
    throw new Error(`Cannot ${action} as ${path} must be a readable JSON file: ${(error as Error).message}`, { cause: error });
  }
  if (typeof state !== 'object' || state === null) throw new Error(`Cannot ${action} as ${path} must hold an object: current value is ${JSON.stringify(state)}`);
  if (state.version !== CHECKPOINT_VERSION) {
    throw new Error(`Cannot ${action} as its version must be ${CHECKPOINT_VERSION}: current value is ${JSON.stringify(state.version)}`);
  }
  if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`Cannot ${action} as its step must be an integer >= 0: current value is ${JSON.stringify(state.step)}`);
  return state;
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
