import type * as TFJS from '@tensorflow/tfjs';
import { join } from 'node:path';
import { checkInteger } from '../../sources/errors.js';
import { fileIoHandler } from '../checkpoint/file-io-handler.js';
import { optimizerBetaPowers } from '../checkpoint/optimizer-beta-powers.js';
import { saveNamedWeights } from '../checkpoint/save-named-weights.js';
import { saveOptimizerState } from '../checkpoint/save-optimizer-state.js';
import { toJsonValue } from '../checkpoint/to-json-value.js';
import { writeFileAtomic } from '../checkpoint/write-file-atomic.js';
import { writeStepFolder } from '../checkpoint/write-step-folder.js';
import type { MocoModels } from './moco-models.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const SAVE_MOCO_CHECKPOINT_KEYS = optionKeys<SaveMocoCheckpointOptions>({
  models: true,
  step: true,
  loaderState: true,
  meta: true,
});

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
 * (`writeStepFolder`, `saveOptimizerState`, `fileIoHandler`, the `latest` pointer; `pruneCheckpoints` and
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
export async function saveMocoCheckpoint(
  tf: typeof TFJS,
  dir: string,
  options: SaveMocoCheckpointOptions,
): Promise<string> {
  checkOptionKeys('saveMocoCheckpoint', options, SAVE_MOCO_CHECKPOINT_KEYS);
  const action = 'save a MoCo checkpoint';
  const step = checkInteger(action, 'step', options.step, 0);
  const loaderState = toJsonValue(action, 'loaderState', options.loaderState);
  const meta = toJsonValue(action, 'meta', options.meta);
  const { models } = options;
  return writeStepFolder(dir, step, async (tmp) => {
    for (const part of MOCO_MODEL_PARTS) await models[part].save(fileIoHandler(tf, join(tmp, part)));
    await saveOptimizerState(tf, models.optimizer, join(tmp, 'optimizer'));
    await saveNamedWeights(tf, [{ name: 'queue', tensor: models.queue }], join(tmp, 'queue'), 'ndaflow-moco-queue');
    const state = {
      version: MOCO_CHECKPOINT_VERSION,
      kind: 'moco',
      step,
      queuePointer: models.queuePointer,
      queueFill: models.queueFill,
      optimizer: models.optimizer.getClassName(),
      // Adam's running beta powers (see optimizerBetaPowers): keeping them makes a resumed step identical.
      betaPowers: optimizerBetaPowers(models.optimizer),
      loaderState,
      meta,
    };
    await writeFileAtomic(join(tmp, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  });
}
