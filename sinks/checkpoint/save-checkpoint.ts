import type * as TFJS from '@tensorflow/tfjs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInteger, typeError } from '../../sources/errors.js';
import { CHECKPOINT_VERSION, LATEST_POINTER, stepFolderName, type CheckpointParts } from './checkpoint-parts.js';
import { fileIoHandler } from './file-io-handler.js';
import { writeFileAtomic } from './write-file-atomic.js';

/** What {@link saveCheckpoint} saves: the live objects, the step and the loader's state. */
export interface SaveCheckpointOptions extends CheckpointParts {
  /** The training step the checkpoint is taken after (the number of completed steps). An integer >= 0. */
  readonly step: number;
  /**
   * The loader's state (`loader.state()`), or any JSON value the run needs to resume; kept in `state.json`.
   * @default undefined (none kept; loads as `null`)
   */
  readonly loaderState?: unknown;
}

/**
 * Saves a training checkpoint into the run folder `dir`, on any backend (through {@link fileIoHandler}):
 * `dir/step-000123/` holds `generator/` and `discriminator/` (`model.json` + `weights.bin`, loadable alone
 * with `tf.loadLayersModel(fileIoHandler(tf, dir/step-000123/generator))`), `generator-optimizer/` and
 * `discriminator-optimizer/` (`optimizer.getWeights()`, names and order kept), `ema/` (when `ema` is given)
 * and `state.json` (`{version, step, loaderState, ...}`).
 *
 * The step folder is written as `step-000123.tmp`, renamed into place once complete, and only then is the
 * `latest` pointer file replaced (atomically) with its name, so a crash mid-save never leaves a half-written
 * checkpoint as the latest. Saving a step that already exists replaces it.
 *
 * Every tensor made while saving is released. `tf` is the `@tensorflow/tfjs` module the models were built with.
 *
 * @returns the step folder's path.
 * @throws RangeError/TypeError for a bad step or a loader state that is not JSON; file-system errors as they are.
 */
export async function saveCheckpoint(tf: typeof TFJS, dir: string, options: SaveCheckpointOptions): Promise<string> {
  const action = 'save a checkpoint';
  const step = checkInteger(action, 'step', options.step, 0);
  let loaderJson: string;
  try {
    loaderJson = JSON.stringify(options.loaderState ?? null);
  } catch (error) {
    throw typeError(action, `loaderState must be JSON-serialisable (${(error as Error).message})`, typeof options.loaderState);
  }
  const { models, optimizers, ema } = options;
  const name = stepFolderName(step);
  const final = join(dir, name);
  const tmp = `${final}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });

  await models.generator.save(fileIoHandler(tf, join(tmp, 'generator')));
  await models.discriminator.save(fileIoHandler(tf, join(tmp, 'discriminator')));
  await saveOptimizer(tf, optimizers.generator, join(tmp, 'generator-optimizer'));
  await saveOptimizer(tf, optimizers.discriminator, join(tmp, 'discriminator-optimizer'));
  if (ema !== undefined) {
    const named = ema.weights().map((w) => ({ name: w.name, tensor: w.tensor as TFJS.Tensor }));
    await saveNamed(tf, named, join(tmp, 'ema'), 'ndaflow-ema');
  }
  const state = {
    version: CHECKPOINT_VERSION,
    step,
    loaderState: JSON.parse(loaderJson) as unknown,
    ema: ema !== undefined,
    optimizers: { generator: optimizers.generator.getClassName(), discriminator: optimizers.discriminator.getClassName() },
    // Adam's running beta powers: its setWeights recomputes them with pow, which differs from the repeated
    // products in the last float bits; keeping them makes a resumed step identical.
    betaPowers: { generator: betaPowers(optimizers.generator), discriminator: betaPowers(optimizers.discriminator) },
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

/** The values of an optimizer's `accBeta1` / `accBeta2` variables (Adam, Adamax), if it has them. */
function betaPowers(optimizer: TFJS.Optimizer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['accBeta1', 'accBeta2']) {
    const v = (optimizer as unknown as Record<string, unknown>)[key] as TFJS.Tensor | undefined;
    if (v !== undefined && v !== null && typeof v.dataSync === 'function' && v.size === 1) out[key] = v.dataSync()[0]!;
  }
  return out;
}

async function saveOptimizer(tf: typeof TFJS, optimizer: TFJS.Optimizer, dir: string): Promise<void> {
  const named = await optimizer.getWeights();
  try {
    await saveNamed(tf, named, dir, 'ndaflow-optimizer');
  } finally {
    // getWeights returns the optimizer's own variables plus fresh tensors (the iteration count): free those.
    tf.dispose(named.filter((n) => !(n.tensor instanceof tf.Variable)).map((n) => n.tensor));
  }
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
