import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import { deriveSeed } from '../../sources/random.js';
import { seededKernel } from '../gan/seeded-init.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CREATE_MOCO_MODELS_KEYS = optionKeys<MocoModelsOptions>({
  encoder: true,
  projectionDim: true,
  hiddenDim: true,
  queueSize: true,
  optimizer: true,
  learningRate: true,
  seed: true,
});

/** The optimizers {@link createMocoModels} can build by name. */
export type MocoOptimizerName = 'sgd' | 'adam';

/** Options of {@link createMocoModels}. */
export interface MocoModelsOptions {
  /**
   * Builds one encoder (images or clips -> `[n, featureDim]`), e.g.
   * `() => createImageEncoder(tf, {inputShape: [28, 28, 1], seed})`. Called twice: the query encoder,
   * then the key encoder (which gets a copy of the query encoder's weights); both calls must build the
   * same architecture.
   */
  readonly encoder: () => TFJS.LayersModel;
  /**
   * Output size of the projection head (the embedding the InfoNCE loss compares). An integer >= 1.
   * @default 128
   */
  readonly projectionDim?: number;
  /**
   * Hidden size of the MoCo-v2 MLP head (dense, ReLU, dense). An integer >= 1.
   * @default the encoder's feature size (as MoCo-v2: 2048 -> 2048 -> 128)
   */
  readonly hiddenDim?: number;
  /**
   * Number of keys `K` in the queue of negatives. An integer >= 1.
   * @default 4096
   */
  readonly queueSize?: number;
  /**
   * The query encoder and head's optimizer: `'sgd'` (MoCo-v2's SGD with momentum 0.9,
   * `tf.train.momentum(learningRate, 0.9)`; the weight decay is a loss term of `trainMoco`), `'adam'`
   * (`tf.train.adam(learningRate)`, often better for short, small runs), or an optimizer of your own.
   * @default 'sgd'
   */
  readonly optimizer?: MocoOptimizerName | TFJS.Optimizer;
  /**
   * Learning rate of a named optimizer. A number > 0.
   * @default 0.03 for 'sgd' (MoCo-v2), 1e-3 for 'adam'
   */
  readonly learningRate?: number;
  /**
   * Seed of the head's kernels (`seededKernel(tf, seed, 'moco-head', ...)`) and of the initial queue
   * (`tf.randomNormal` seeded with `deriveSeed(seed, 'moco-queue')`, rows scaled to unit length). The
   * encoder factory seeds the encoder. An integer in [0, 2^32 - 1].
   * @default undefined (unseeded: tfjs's initialisers and a queue seeded from 0)
   */
  readonly seed?: number;
}

/**
 * The networks and state of a MoCo run (He et al. 2020; MoCo-v2, Chen et al. 2020). Mutable state
 * (`queuePointer`, `queueFill`) is updated by `mocoStep`; the tensors are owned by this object until
 * {@link MocoModels.dispose}.
 */
export interface MocoModels {
  /** The query encoder, trained by the optimizer. */
  readonly queryEncoder: TFJS.LayersModel;
  /** The query projection head `[n, featureDim] -> [n, projectionDim]`, trained by the optimizer. */
  readonly queryHead: TFJS.LayersModel;
  /** The momentum (key) encoder: a moving average of the query encoder, never trained by gradient. */
  readonly keyEncoder: TFJS.LayersModel;
  /** The momentum (key) head. */
  readonly keyHead: TFJS.LayersModel;
  /** The queue of negative keys `[K, projectionDim]`, unit rows, a ring written at `queuePointer`. */
  readonly queue: TFJS.Variable;
  /** The next row of the queue to write (0 <= queuePointer < K). */
  queuePointer: number;
  /** Keys enqueued so far, at most K (the rest of the queue still holds its random initial rows). */
  queueFill: number;
  /** The optimizer of the query encoder and head. */
  readonly optimizer: TFJS.Optimizer;
  /** Feature size of the encoders. */
  readonly featureDim: number;
  /** Embedding size of the heads. */
  readonly projectionDim: number;
  /** Releases the four models, the queue and the optimizer (given or built). Idempotent. */
  dispose(): void;
}

const ACTION = 'create MoCo models';

/**
 * Builds the MoCo-v2 networks: query encoder + MLP head (dense `hiddenDim` with bias, ReLU, dense
 * `projectionDim` with bias), a key encoder + head that start as exact copies of the query ones (every
 * weight, batch norm's moving statistics included), the queue of `queueSize` random unit keys, and the
 * optimizer. Deterministic given `seed` (and a seeded encoder factory).
 *
 * `tf` is the `@tensorflow/tfjs` module (backend chosen). Everything returned is released by
 * `models.dispose()`.
 *
 * @throws RangeError/TypeError for a bad option, or when the encoder does not output `[n, features]`
 *   or the two encoders it builds differ.
 */
export function createMocoModels(tf: typeof TFJS, options: MocoModelsOptions): MocoModels {
  checkOptionKeys('createMocoModels', options, CREATE_MOCO_MODELS_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  if (typeof options.encoder !== 'function')
    throw typeError(ACTION, 'encoder must be a function that builds an encoder', typeof options.encoder);
  const projectionDim = checkInteger(ACTION, 'projectionDim', options.projectionDim ?? 128, 1, 1 << 16);
  const queueSize = checkInteger(ACTION, 'queueSize', options.queueSize ?? 4096, 1, 1 << 24);
  const seed = options.seed === undefined ? undefined : checkInteger(ACTION, 'seed', options.seed, 0, 0xffffffff);
  const optimizerOption = options.optimizer ?? 'sgd';
  if (typeof optimizerOption === 'string' && optimizerOption !== 'sgd' && optimizerOption !== 'adam') {
    throw rangeError(ACTION, "optimizer must be 'sgd', 'adam' or an optimizer", optimizerOption);
  }
  if (typeof optimizerOption !== 'string' && !(optimizerOption instanceof tf.Optimizer))
    throw typeError(ACTION, "optimizer must be 'sgd', 'adam' or an optimizer", typeof optimizerOption);
  const learningRate = options.learningRate ?? (optimizerOption === 'adam' ? 1e-3 : 0.03);
  if (typeof learningRate !== 'number' || !(learningRate > 0) || !Number.isFinite(learningRate))
    throw rangeError(ACTION, 'learningRate must be a finite number > 0', learningRate);

  const built: { dispose(): void }[] = [];
  try {
    const queryEncoder = options.encoder();
    built.push(queryEncoder);
    const featureDim = featureSize(queryEncoder);
    const hiddenDim = checkInteger(ACTION, 'hiddenDim', options.hiddenDim ?? featureDim, 1, 1 << 16);
    const keyEncoder = options.encoder();
    built.push(keyEncoder);
    if (keyEncoder === queryEncoder || featureSize(keyEncoder) !== featureDim) {
      throw typeError(
        ACTION,
        'encoder must build a new encoder of one architecture on each call',
        'the second call returned another kind',
      );
    }
    const queryHead = head(tf, featureDim, hiddenDim, projectionDim, seed);
    built.push(queryHead);
    const keyHead = head(tf, featureDim, hiddenDim, projectionDim, seed);
    built.push(keyHead);
    copyWeights(queryEncoder, keyEncoder);
    copyWeights(queryHead, keyHead);
    const queue = tf.tidy(() => {
      const rows = tf.randomNormal([queueSize, projectionDim], 0, 1, 'float32', deriveSeed(seed ?? 0, 'moco-queue'));
      return tf.variable(tf.div(rows, tf.norm(rows, 'euclidean', 1, true)), false);
    });
    built.push(queue);
    const optimizer =
      typeof optimizerOption !== 'string'
        ? optimizerOption
        : optimizerOption === 'adam'
          ? tf.train.adam(learningRate)
          : tf.train.momentum(learningRate, 0.9);
    let disposed = false;
    return {
      queryEncoder,
      queryHead,
      keyEncoder,
      keyHead,
      queue,
      queuePointer: 0,
      queueFill: 0,
      optimizer,
      featureDim,
      projectionDim,
      dispose() {
        if (disposed) return;
        disposed = true;
        for (const m of [queryEncoder, queryHead, keyEncoder, keyHead]) m.dispose();
        queue.dispose();
        // tfjs 4.22's MomentumOptimizer.dispose does not call SGDOptimizer.dispose, so its learning-rate
        // scalar `c` would leak: release it too.
        const c = (optimizer as unknown as { c?: TFJS.Tensor }).c;
        optimizer.dispose();
        if (c instanceof tf.Tensor && !c.isDisposed) c.dispose();
      },
    };
  } catch (error) {
    for (const b of built) b.dispose();
    throw error;
  }
}

/** The feature size of an encoder whose output is `[n, features]`. */
function featureSize(encoder: unknown): number {
  const model = encoder as TFJS.LayersModel;
  const shape = model?.outputs?.length === 1 ? model.outputs[0]!.shape : undefined;
  if (shape === undefined || shape.length !== 2 || typeof shape[1] !== 'number') {
    throw typeError(
      ACTION,
      'encoder must build a model with one [n, features] output',
      shape === undefined ? typeof encoder : JSON.stringify(shape),
    );
  }
  return shape[1];
}

function head(
  tf: typeof TFJS,
  featureDim: number,
  hiddenDim: number,
  projectionDim: number,
  seed: number | undefined,
): TFJS.LayersModel {
  const h = tf.sequential({ name: 'moco_head' });
  h.add(
    tf.layers.dense({
      inputShape: [featureDim],
      units: hiddenDim,
      activation: 'relu',
      ...seededKernel(tf, seed, 'moco-head', 'hidden'),
    }),
  );
  h.add(tf.layers.dense({ units: projectionDim, ...seededKernel(tf, seed, 'moco-head', 'output') }));
  return h;
}

/** Sets every weight of `to` (trainable and not) to the value of the same weight of `from`. */
function copyWeights(from: TFJS.LayersModel, to: TFJS.LayersModel): void {
  const a = from.weights;
  const b = to.weights;
  const same =
    a.length === b.length &&
    a.every((w, i) => w.shape.length === b[i]!.shape.length && w.shape.every((s, j) => s === b[i]!.shape[j]));
  if (!same)
    throw typeError(
      ACTION,
      'encoder must build the same architecture on each call',
      `${a.length} and ${b.length} weights`,
    );
  to.setWeights(a.map((w) => w.read()));
}
