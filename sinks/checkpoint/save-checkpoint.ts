import type * as TFJS from '@tensorflow/tfjs';
import { join } from 'node:path';
import { checkInteger } from '../../sources/errors.js';
import { CHECKPOINT_VERSION, type CheckpointParts } from './checkpoint-parts.js';
import { fileIoHandler } from './file-io-handler.js';
import { optimizerBetaPowers } from './optimizer-beta-powers.js';
import { saveNamedWeights } from './save-named-weights.js';
import { saveOptimizerState } from './save-optimizer-state.js';
import { toJsonValue } from './to-json-value.js';
import { writeFileAtomic } from './write-file-atomic.js';
import { writeStepFolder } from './write-step-folder.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const SAVE_CHECKPOINT_KEYS = optionKeys<SaveCheckpointOptions>({
  step: true,
  loaderState: true,
  models: true,
  optimizers: true,
  ema: true,
});

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
 * Saves a training checkpoint into the run folder `dir`, on any backend (through `fileIoHandler`):
 * `dir/step-000123/` holds `generator/` and `discriminator/` (`model.json` + `weights.bin`, loadable alone
 * with `tf.loadLayersModel(fileIoHandler(tf, dir/step-000123/generator))` once the project's layers are
 * registered: `createGan`, or `batchNormLayer(tf)` for a generator's batch norm), `generator-optimizer/` and
 * `discriminator-optimizer/` (`optimizer.getWeights()`, names and order kept), `ema/` (when `ema` is given)
 * and `state.json` (`{version, step, loaderState, ...}`).
 *
 * The step folder is written (`writeStepFolder`) as `step-000123.tmp`, renamed into place once complete, and only then is the
 * `latest` pointer file replaced (atomically) with its name, so a crash mid-save never leaves a half-written
 * checkpoint as the latest. Saving a step that already exists replaces it.
 *
 * Every tensor made while saving is released. `tf` is the `@tensorflow/tfjs` module the models were built with.
 *
 * @returns the step folder's path.
 * @throws RangeError/TypeError for a bad step or a loader state that is not JSON; file-system errors as they are.
 */
export async function saveCheckpoint(tf: typeof TFJS, dir: string, options: SaveCheckpointOptions): Promise<string> {
  checkOptionKeys('saveCheckpoint', options, SAVE_CHECKPOINT_KEYS);
  const action = 'save a checkpoint';
  const step = checkInteger(action, 'step', options.step, 0);
  const loaderState = toJsonValue(action, 'loaderState', options.loaderState);
  const { models, optimizers, ema } = options;
  return writeStepFolder(dir, step, async (tmp) => {
    await models.generator.save(fileIoHandler(tf, join(tmp, 'generator')));
    await models.discriminator.save(fileIoHandler(tf, join(tmp, 'discriminator')));
    await saveOptimizerState(tf, optimizers.generator, join(tmp, 'generator-optimizer'));
    await saveOptimizerState(tf, optimizers.discriminator, join(tmp, 'discriminator-optimizer'));
    if (ema !== undefined) {
      const named = ema.weights().map((w) => ({ name: w.name, tensor: w.tensor }));
      await saveNamedWeights(tf, named, join(tmp, 'ema'), 'ndaflow-ema');
    }
    const state = {
      version: CHECKPOINT_VERSION,
      step,
      loaderState,
      ema: ema !== undefined,
      optimizers: {
        generator: optimizers.generator.getClassName(),
        discriminator: optimizers.discriminator.getClassName(),
      },
      // Adam's running beta powers (see optimizerBetaPowers): keeping them makes a resumed step identical.
      betaPowers: {
        generator: optimizerBetaPowers(optimizers.generator),
        discriminator: optimizerBetaPowers(optimizers.discriminator),
      },
    };
    await writeFileAtomic(join(tmp, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  });
}
