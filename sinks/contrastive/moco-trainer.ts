import type * as TFJS from '@tensorflow/tfjs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import { deriveSeed, freshSeed } from '../../sources/random.js';
import { pruneCheckpoints } from '../checkpoint/prune-checkpoints.js';
import type { ContrastiveBatch } from './contrastive-batch.js';
import { createImageEncoder } from './image-encoder.js';
import { createMocoModels, type MocoModels, type MocoOptimizerName } from './moco-models.js';
import { mocoStep } from './moco-step.js';
import { saveMocoCheckpoint } from './save-moco-checkpoint.js';
import { createVideoEncoder } from './video-encoder.js';
import { viewsToTensor } from './views-to-tensor.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const TRAIN_MOCO_KEYS = optionKeys<TrainMocoOptions>({
  models: true,
  encoder: true,
  width: true,
  projectionDim: true,
  hiddenDim: true,
  queueSize: true,
  optimizer: true,
  learningRate: true,
  momentum: true,
  temperature: true,
  ndaInQueue: true,
  weightDecay: true,
  shuffleBnGroups: true,
  steps: true,
  startStep: true,
  seed: true,
  runDir: true,
  checkpointEvery: true,
  keepCheckpoints: true,
  loaderState: true,
  meta: true,
  onStep: true,
});

export type { ContrastiveBatch } from './contrastive-batch.js';

/** What {@link TrainMocoOptions.onStep} reports after each step (one JSON line of `metrics.jsonl`). */
export interface MocoStepReport {
  /** Completed steps (1 after the first). */
  readonly step: number;
  /** InfoNCE (+NDA) loss of the step, before its update (without weight decay). */
  readonly loss: number;
  /** Fraction of queries whose positive logit was the largest. */
  readonly positiveTop1: number;
  /** Mean NDA logit (cosine / T), only when the batch had NDA views. */
  readonly ndaLogitMean?: number;
  /** Wall time of the step (tensors made, update, queue), in milliseconds (waiting for the batch excluded). */
  readonly msPerStep: number;
  /** Real keys in the queue after the step (at most K). */
  readonly queueFill: number;
}

/** Options of {@link trainMoco}. */
export interface TrainMocoOptions {
  /**
   * The MoCo state to train (from `createMocoModels` or a loaded checkpoint).
   * @default built at the first batch: `createMocoModels(tf, {encoder, projectionDim, hiddenDim, queueSize,
   *   optimizer, learningRate, seed: deriveSeed(seed, 'weights')})` with `encoder` or the default one
   */
  readonly models?: MocoModels;
  /**
   * Builds one encoder when `models` is not given (called twice).
   * @default `createImageEncoder` (`[n, h, w, c]` views) or `createVideoEncoder` (`[n, t, h, w, c]`),
   *   `{inputShape: the views' shape, width, seed: deriveSeed(seed, 'encoder')}`
   */
  readonly encoder?: () => TFJS.LayersModel;
  /** Width of the default encoder (unused with `models` or `encoder`). An integer >= 1. @default 16 */
  readonly width?: number;
  /** Head output size when building. @default 128 */
  readonly projectionDim?: number;
  /** Head hidden size when building. @default the encoder's feature size */
  readonly hiddenDim?: number;
  /** Queue size K when building. @default 4096 */
  readonly queueSize?: number;
  /**
   * The optimizer when building: `'sgd'` (MoCo-v2: momentum 0.9, lr 0.03) or `'adam'` (lr 1e-3; often
   * better for short runs of small networks).
   * @default 'sgd'
   */
  readonly optimizer?: MocoOptimizerName;
  /** Learning rate when building. @default 0.03 for 'sgd', 1e-3 for 'adam' */
  readonly learningRate?: number;
  /** Momentum of the key networks' update, in [0, 1]. @default 0.99 */
  readonly momentum?: number;
  /** Softmax temperature, > 0. @default 0.2 */
  readonly temperature?: number;
  /** Enqueue the NDA keys too (after the batch's positive keys). @default false */
  readonly ndaInQueue?: boolean;
  /** L2 weight decay of the query networks (see `mocoStep`). A number >= 0. @default 1e-4 */
  readonly weightDecay?: number;
  /** Batch-norm groups of the single-device shuffle BN (see `mocoStep`); 1 turns it off. @default 2 */
  readonly shuffleBnGroups?: number;
  /**
   * The step count the run stops at (a resumed run does `steps - startStep` more). It also stops when
   * the batches end. An integer >= 0, or Infinity.
   * @default Infinity (until the batches end)
   */
  readonly steps?: number;
  /** Completed steps when resuming (from `loadMocoCheckpoint`'s `step`). @default 0 */
  readonly startStep?: number;
  /**
   * Seed of the built networks (`deriveSeed(seed, 'weights')`, `deriveSeed(seed, 'encoder')`) and of the
   * shuffle-BN permutations (step s: `Random.derive(seed, 'moco-shuffle-bn', s)`), so a resumed run
   * continues identically. An integer in [0, 2^32 - 1].
   * @default a fresh seed (returned)
   */
  readonly seed?: number;
  /**
   * Run folder: `metrics.jsonl` (one {@link MocoStepReport} JSON line per step; started afresh from step
   * 0, appended to when resuming) and the checkpoints.
   * @default undefined (nothing written)
   */
  readonly runDir?: string;
  /** Save a checkpoint (`saveMocoCheckpoint`) every `checkpointEvery` steps and after the last. Needs `runDir`. @default undefined (none) */
  readonly checkpointEvery?: number;
  /** Keep only the newest `keepCheckpoints` step folders (`pruneCheckpoints`). An integer >= 1. @default undefined (keep all) */
  readonly keepCheckpoints?: number;
  /** The loader's state for the checkpoints (e.g. `() => iteration.state()`). @default none saved */
  readonly loaderState?: () => unknown;
  /** A JSON value saved as the checkpoints' `meta`. @default undefined */
  readonly meta?: unknown;
  /** Called after each step. @default none */
  readonly onStep?: (report: MocoStepReport) => void;
}

/** What {@link trainMoco} returns. */
export interface TrainMocoResult {
  /** Completed steps (counting `startStep`). */
  readonly steps: number;
  /** The last step's report (`null` when none ran). */
  readonly last: MocoStepReport | null;
  /** The last step's loss (`null` when none ran). */
  readonly lastLoss: number | null;
  /** The MoCo state trained (built ones are the caller's to dispose with `models.dispose()`), or null when no batch came. */
  readonly models: MocoModels | null;
  /** The seed used. */
  readonly seed: number;
}

const ACTION = 'train MoCo';

/**
 * The contrastive sink (issue 5): MoCo-v2 with NDA views as extra negatives of their own query, for
 * images and clips. Consumes {@link ContrastiveBatch}es, one per step (`mocoStep`): pixels become
 * float32 tensors at the boundary (`viewsToTensor`; uint8 scaled to [-1, 1]) and every tensor of a step
 * is released after it, so the tensor count is flat. Writes `metrics.jsonl` and checkpoints into
 * `runDir` when asked. Leaving early (steps reached) returns the batches' iterator (which releases a
 * loader). Deterministic given `seed` and the batches.
 *
 * `tf` is the `@tensorflow/tfjs` module (backend chosen, e.g. by `selectBackend`).
 *
 * @throws RangeError/TypeError for a bad option (before reading a batch) or a malformed batch; errors
 *   of the batches' iterator as they are.
 */
export async function trainMoco(
  tf: typeof TFJS,
  batches: AsyncIterable<ContrastiveBatch>,
  options: TrainMocoOptions = {},
): Promise<TrainMocoResult> {
  checkOptionKeys('trainMoco', options, TRAIN_MOCO_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const steps =
    options.steps === undefined || options.steps === Infinity
      ? Infinity
      : checkInteger(ACTION, 'steps', options.steps, 0);
  const startStep = checkInteger(ACTION, 'startStep', options.startStep ?? 0, 0);
  const seed = options.seed === undefined ? freshSeed() : checkInteger(ACTION, 'seed', options.seed, 0, 0xffffffff);
  const width = checkInteger(ACTION, 'width', options.width ?? 16, 1, 1 << 12);
  const momentum = options.momentum ?? 0.99;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))
    throw rangeError(ACTION, 'momentum must be in [0, 1]', momentum);
  const temperature = options.temperature ?? 0.2;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature))
    throw rangeError(ACTION, 'temperature must be finite and > 0', temperature);
  const weightDecay = options.weightDecay ?? 1e-4;
  if (typeof weightDecay !== 'number' || !(weightDecay >= 0) || !Number.isFinite(weightDecay))
    throw rangeError(ACTION, 'weightDecay must be finite and >= 0', weightDecay);
  const ndaInQueue = options.ndaInQueue ?? false;
  if (typeof ndaInQueue !== 'boolean') throw typeError(ACTION, 'ndaInQueue must be a boolean', ndaInQueue);
  const shuffleBnGroups = checkInteger(ACTION, 'shuffleBnGroups', options.shuffleBnGroups ?? 2, 1, 1 << 16);
  const checkpointEvery =
    options.checkpointEvery === undefined
      ? undefined
      : checkInteger(ACTION, 'checkpointEvery', options.checkpointEvery, 1);
  const keepCheckpoints =
    options.keepCheckpoints === undefined
      ? undefined
      : checkInteger(ACTION, 'keepCheckpoints', options.keepCheckpoints, 1);
  const runDir = options.runDir;
  if (runDir !== undefined && (typeof runDir !== 'string' || runDir === ''))
    throw typeError(ACTION, 'runDir must be a non-empty string', runDir);
  if (checkpointEvery !== undefined && runDir === undefined)
    throw typeError(ACTION, 'checkpointEvery needs a runDir', checkpointEvery);
  for (const name of ['onStep', 'loaderState', 'encoder'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function')
      throw typeError(ACTION, `${name} must be a function`, typeof options[name]);
  }
  if (options.optimizer !== undefined && options.optimizer !== 'sgd' && options.optimizer !== 'adam')
    throw rangeError(ACTION, "optimizer must be 'sgd' or 'adam'", options.optimizer);
  if (
    options.models !== undefined &&
    (typeof options.models !== 'object' || options.models === null || !('queue' in options.models))
  ) {
    throw typeError(ACTION, 'models must be MocoModels (createMocoModels)', typeof options.models);
  }

  let models: MocoModels | null = options.models ?? null;
  const setup = (shape: readonly number[]): MocoModels => {
    if (models !== null) return models;
    const inputShape = shape.slice(1);
    const encoderSeed = deriveSeed(seed, 'encoder');
    const encoder =
      options.encoder ??
      (inputShape.length === 3
        ? () => createImageEncoder(tf, { inputShape: inputShape as [number, number, number], width, seed: encoderSeed })
        : () =>
            createVideoEncoder(tf, {
              inputShape: inputShape as [number, number, number, number],
              width,
              seed: encoderSeed,
            }));
    models = createMocoModels(tf, {
      encoder,
      seed: deriveSeed(seed, 'weights'),
      ...pick(options, ['projectionDim', 'hiddenDim', 'queueSize', 'optimizer', 'learningRate']),
    });
    return models;
  };

  const metrics = runDir === undefined ? undefined : join(runDir, 'metrics.jsonl');
  if (runDir !== undefined) await mkdir(runDir, { recursive: true });
  if (metrics !== undefined && startStep === 0) await writeFile(metrics, '');

  let step = startStep;
  let last: MocoStepReport | null = null;
  const iterator = batches[Symbol.asyncIterator]();
  let finished = false;
  try {
    while (step < steps) {
      const next = await iterator.next();
      if (next.done === true) {
        finished = true;
        break;
      }
      const started = performance.now();
      const batch = next.value;
      if (typeof batch !== 'object' || batch === null)
        throw typeError(ACTION, 'each batch must be a {query, key, nda?} object', batch);
      const tensors: TFJS.Tensor[] = [];
      let result;
      let live: MocoModels;
      try {
        const query = viewsToTensor(tf, batch.query, 'query views');
        tensors.push(query);
        live = setup(query.shape);
        const key = viewsToTensor(tf, batch.key, 'key views');
        tensors.push(key);
        const nda = batch.nda === undefined ? undefined : viewsToTensor(tf, batch.nda, 'NDA views');
        if (nda !== undefined) tensors.push(nda);
        const groups = Math.min(shuffleBnGroups, query.shape[0]);
        result = await mocoStep(
          tf,
          live,
          { query, key, ...(nda ? { nda } : {}) },
          { momentum, temperature, ndaInQueue, weightDecay, shuffleBnGroups: groups, seed, step },
        );
      } finally {
        tf.dispose(tensors);
      }
      step++;
      const report: MocoStepReport = {
        step,
        loss: result.loss,
        positiveTop1: result.positiveTop1,
        ...(result.ndaLogitMean === null ? {} : { ndaLogitMean: result.ndaLogitMean }),
        msPerStep: performance.now() - started,
        queueFill: live.queueFill,
      };
      last = report;
      if (metrics !== undefined) await appendFile(metrics, `${JSON.stringify(report)}\n`);
      options.onStep?.(report);
      if (checkpointEvery !== undefined && (step % checkpointEvery === 0 || step === steps)) {
        await saveMocoCheckpoint(tf, runDir!, {
          models: live,
          step,
          loaderState: options.loaderState?.(),
          meta: options.meta,
        });
        if (keepCheckpoints !== undefined) await pruneCheckpoints(runDir!, keepCheckpoints);
      }
    }
    return { steps: step, last, lastLoss: last === null ? null : last.loss, models, seed };
  } finally {
    if (!finished) await iterator.return?.();
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
