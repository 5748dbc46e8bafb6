import type * as TFJS from '@tensorflow/tfjs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInteger, typeError } from '../../sources/errors.js';
import { LATEST_POINTER, stepFolderName } from '../checkpoint/checkpoint-parts.js';
import { fileIoHandler } from '../checkpoint/file-io-handler.js';
import { writeFileAtomic } from '../checkpoint/write-file-atomic.js';
import type { MocoModels } from './moco-models.js';

/** Version of the MoCo checkpoint layout {@link saveMocoCheckpoint} writes. */
export const MOCO_CHECKPOINT_VERSION = 1;

/** The MoCo networks a checkpoint holds, one folder each (in this order). */
export const MOCO_MODEL_PARTS = ['queryEncoder', 'queryHead', 'keyEncoder', 'keyHead'] as const;

/** What {@link saveMocoCheckpoint} saves. */
export interface SaveMocoCheckpointOptions {
  /** The live MoCo state: its four networks, queue (with pointer and fill) and optimizer state. */
  readonly models: MocoModels;
  /** Completed steps. An integer >= 0. */
  readonly step: number;
  /** The loader's state (any JSON value). @default undefined (loads as `null`) */
  readonly loaderState?: unknown;
  /** Any JSON value the run wants back (its options, a seed...). @default undefined (loads as `null`) */
  readonly meta?: unknown;
}

/**
 * Saves a MoCo checkpoint into the run folder `dir`, on any backend, with the generic checkpoint pieces
 * (`fileIoHandler`, `writeFileAtomic`, `stepFolderName`, the `latest` pointer; `pruneCheckpoints` and
 * `loadMocoCheckpoint` read the same layout): `dir/step-000123/` holds `queryEncoder/`, `queryHead/`,
 * `keyEncoder/`, `keyHead/` (`model.json` + `weights.bin`, each loadable alone with
 * `tf.loadLayersModel(fileIoHandler(...))`; the video encoder needs `videoLayers(tf)` called first),
 * `optimizer/` (`optimizer.getWeights()`), `queue/` and `state.json` (`{version, kind: 'moco', step,
 * queuePointer, queueFill, optimizer, betaPowers, loaderState, meta}`). Written as `step-000123.tmp`,
 * renamed into place when complete, then the `latest` pointer is replaced atomically, so a crash never
 * leaves a half-written checkpoint as the latest. Every tensor made while saving is released.
 *
 * @returns the step folder's path.
 * @throws RangeError/TypeError for a bad step or a loader state / meta that is not JSON; file-system errors as they are.
 */
export async function saveMocoCheckpoint(tf: typeof TFJS, dir: string, options: SaveMocoCheckpointOptions): Promise<string> {
  const action = 'save a MoCo checkpoint';
  const step = checkInteger(action, 'step', options.step, 0);
  const json = (name: string, value: unknown): unknown => {
    try {
      return JSON.parse(JSON.stringify(value ?? null)) as unknown;
    } catch (error) {
      throw typeError(action, `${name} must be JSON-serialisable (${(error as Error).message})`, typeof value);
    }
  };
  const loaderState = json('loaderState', options.loaderState);
  const meta = json('meta', options.meta);
  const { models } = options;
  const name = stepFolderName(step);
  const final = join(dir, name);
  const tmp = `${final}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  for (const part of MOCO_MODEL_PARTS) await models[part].save(fileIoHandler(tf, join(tmp, part)));
  const optimizerWeights = await models.optimizer.getWeights();
  try {
    await saveNamed(tf, optimizerWeights, join(tmp, 'optimizer'), 'ndaflow-optimizer');
  } finally {
    tf.dispose(optimizerWeights.filter((n) => !(n.tensor instanceof tf.Variable)).map((n) => n.tensor));
  }
  await saveNamed(tf, [{ name: 'queue', tensor: models.queue }], join(tmp, 'queue'), 'ndaflow-moco-queue');
  const state = {
    version: MOCO_CHECKPOINT_VERSION,
    kind: 'moco',
    step,
    queuePointer: models.queuePointer,
    queueFill: models.queueFill,
    optimizer: models.optimizer.getClassName(),
    // Adam's running beta powers: its setWeights recomputes them with pow (last-bit differences).
    betaPowers: betaPowers(models.optimizer),
    loaderState,
    meta,
  };
  await writeFileAtomic(join(tmp, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  const old = `${final}.old`;
  const replacing = await exists(final);
  if (replacing) {
    await rm(old, { recursive: true, force: true });
    await rename(final, old);
  }
  await rename(tmp, final);
  if (replacing) await rm(old, { recursive: true, force: true });
  await writeFileAtomic(join(dir, LATEST_POINTER), `${name}\n`);
  return final;
}

function betaPowers(optimizer: TFJS.Optimizer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['accBeta1', 'accBeta2']) {
    const v = (optimizer as unknown as Record<string, unknown>)[key] as TFJS.Tensor | undefined;
    if (v !== undefined && v !== null && typeof v.dataSync === 'function' && v.size === 1) out[key] = v.dataSync()[0]!;
  }
  return out;
}

async function saveNamed(tf: typeof TFJS, named: { name: string; tensor: TFJS.Tensor }[], dir: string, format: string): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(named);
  await fileIoHandler(tf, dir).save!({ weightSpecs: specs, weightData: data, format, generatedBy: 'ndaflow' });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
