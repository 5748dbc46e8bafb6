import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import { Random } from '../../sources/random.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const TRAIN_LINEAR_PROBE_KEYS = optionKeys<LinearProbeOptions>({
  train: true,
  test: true,
  dims: true,
  classes: true,
  epochs: true,
  batchSize: true,
  learningRate: true,
  schedule: true,
  l2: true,
  seed: true,
  standardize: true,
  onEpoch: true,
});

/** Feature vectors (row-major `[n, dims]`) and their labels (`n` of them, in `[0, classes)`). */
export interface LabelledFeatures {
  readonly features: Float32Array | Float64Array;
  readonly labels: Int32Array;
}

/** One epoch reported by {@link trainLinearProbe}. */
export interface LinearProbeProgress {
  /** Epoch, from 1. */
  readonly epoch: number;
  /** The epoch's mean training loss (cross-entropy plus the l2 term), over its steps. */
  readonly loss: number;
}

/** Options of {@link trainLinearProbe}. */
export interface LinearProbeOptions {
  /** Training features and labels (the classifier is fitted on these). */
  readonly train: LabelledFeatures;
  /** Test features and labels (scored only). */
  readonly test: LabelledFeatures;
  /** Width of a feature vector. */
  readonly dims: number;
  /** Number of classes (labels are in `[0, classes)`), at least 2. */
  readonly classes: number;
  /** Passes over the training features. @default 30 */
  readonly epochs?: number;
  /** Rows per step (the last step of an epoch may be smaller). @default 256 */
  readonly batchSize?: number;
  /** Adam's (peak) learning rate. @default 0.01 */
  readonly learningRate?: number;
  /**
   * Learning-rate schedule over all steps: `'cosine'` decays it from `learningRate` towards 0 (half a
   * cosine), so the last epochs settle instead of jittering around the optimum; `'constant'` keeps it.
   * @default 'cosine'
   */
  readonly schedule?: 'cosine' | 'constant';
  /** Weight decay: `l2 * sum(W^2)` is added to the loss (the bias is not decayed). @default 0.0001 */
  readonly l2?: number;
  /** Seed of the batch order (a fresh permutation per epoch from `Random.derive(seed, 'linear-probe', epoch)`). @default 0 */
  readonly seed?: number;
  /**
   * Standardise every feature with the training set's mean and standard deviation (a constant feature
   * is only centred), applied to train and test alike; the inputs are not modified. @default true
   */
  readonly standardize?: boolean;
  /** Called after every epoch. @default none */
  readonly onEpoch?: (progress: LinearProbeProgress) => void;
}

/** What {@link trainLinearProbe} returns. */
export interface LinearProbeResult {
  /** Top-1 accuracy on the test features, in [0, 1]. */
  readonly top1: number;
  /** Top-1 accuracy on the training features, in [0, 1]. */
  readonly trainTop1: number;
  readonly epochs: number;
  readonly steps: number;
  /** The last epoch's mean training loss. */
  readonly loss: number;
  readonly trainSamples: number;
  readonly testSamples: number;
  readonly dims: number;
  readonly classes: number;
  /** The fitted weights `[dims, classes]` row-major (on standardised features when `standardize`). */
  readonly weights: Float32Array;
  /** The fitted bias `[classes]`. */
  readonly bias: Float32Array;
}

const ACTION = 'train a linear probe';

function checkSplit(name: 'train' | 'test', split: LabelledFeatures, dims: number, classes: number): number {
  const { features, labels } = (split ?? {}) as Partial<LabelledFeatures>;
  if (!(features instanceof Float32Array || features instanceof Float64Array))
    throw typeError(
      ACTION,
      `${name}.features must be a Float32Array or Float64Array`,
      (features as object | undefined)?.constructor?.name ?? typeof features,
    );
  if (!(labels instanceof Int32Array))
    throw typeError(
      ACTION,
      `${name}.labels must be an Int32Array`,
      (labels as object | undefined)?.constructor?.name ?? typeof labels,
    );
  const n = labels.length;
  if (n === 0) throw rangeError(ACTION, `${name} must hold at least one sample`, 0);
  if (features.length !== n * dims)
    throw rangeError(
      ACTION,
      `${name}.features must hold ${n} x ${dims} values (one row of dims per label)`,
      features.length,
    );
  for (const l of labels)
    if (l < 0 || l >= classes) throw rangeError(ACTION, `every ${name} label must be in [0, ${classes - 1}]`, l);
  for (const v of features)
    if (!Number.isFinite(v)) throw rangeError(ACTION, `every ${name} feature must be finite`, v);
  return n;
}

function positive(name: string, value: number, allowZero: boolean): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(ACTION, `${name} must be a number`, value);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0))
    throw rangeError(ACTION, `${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number`, value);
  return value;
}

/** Per-feature mean and 1/std of the training rows (1 where a feature is constant). */
function moments(
  features: Float32Array | Float64Array,
  n: number,
  dims: number,
): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(dims);
  const sq = new Float64Array(dims);
  for (let i = 0; i < n; i++) for (let j = 0; j < dims; j++) mean[j] = mean[j]! + features[i * dims + j]!;
  for (let j = 0; j < dims; j++) mean[j] = mean[j]! / n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dims; j++) {
      const d = features[i * dims + j]! - mean[j]!;
      sq[j] = sq[j]! + d * d;
    }
  }
  const scale = new Float64Array(dims);
  for (let j = 0; j < dims; j++) {
    const std = Math.sqrt(sq[j]! / n);
    scale[j] = std > 1e-8 ? 1 / std : 1;
  }
  return { mean, scale };
}

function prepared(
  features: Float32Array | Float64Array,
  dims: number,
  m: { mean: Float64Array; scale: Float64Array } | undefined,
): Float32Array {
  if (m === undefined) return features instanceof Float32Array ? features : Float32Array.from(features);
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i++) {
    const j = i % dims;
    out[i] = (features[i]! - m.mean[j]!) * m.scale[j]!;
  }
  return out;
}

/**
 * Linear evaluation: fits a softmax linear classifier (`logits = x W + b`) on frozen features with
 * Adam (learning rate decayed along half a cosine by default) on the mean softmax cross-entropy plus
 * `l2 * sum(W^2)`, in mini-batches of a seeded order, and
 * reports top-1 accuracy on the test features (and on the training features). The weights start at
 * zero (the problem is convex, so no random init is needed and the result depends on the seed only
 * through the batch order). Features are standardised with the training set's statistics by default.
 * Every tensor is released before returning, on errors too (the step's in `tf.tidy`, the variables
 * and Adam's moments in `finally`). Deterministic given the inputs, the options and the backend.
 *
 * @example
 * const { top1 } = await trainLinearProbe(tf, { train: { features, labels }, test, dims: 128, classes: 10, seed: 1 });
 * @throws TypeError/RangeError for a bad option or inputs (wrong types, sizes, labels out of range,
 *   non-finite features), before any tensor is made.
 */
export async function trainLinearProbe(tf: typeof TFJS, options: LinearProbeOptions): Promise<LinearProbeResult> {
  checkOptionKeys('trainLinearProbe', options, TRAIN_LINEAR_PROBE_KEYS);
  const o = (options ?? {}) as Partial<LinearProbeOptions>;
  const dims = checkInteger(ACTION, 'dims', o.dims, 1);
  const classes = checkInteger(ACTION, 'classes', o.classes, 2);
  const epochs = checkInteger(ACTION, 'epochs', o.epochs ?? 30, 1);
  const batchSize = checkInteger(ACTION, 'batchSize', o.batchSize ?? 256, 1);
  const learningRate = positive('learningRate', o.learningRate ?? 0.01, false);
  const l2 = positive('l2', o.l2 ?? 1e-4, true);
  const seed = checkInteger(ACTION, 'seed', o.seed ?? 0, 0, 0xffffffff);
  const schedule = o.schedule ?? 'cosine';
  if (schedule !== 'cosine' && schedule !== 'constant')
    throw rangeError(ACTION, "schedule must be 'cosine' or 'constant'", schedule);
  const standardize = o.standardize ?? true;
  if (typeof standardize !== 'boolean') throw typeError(ACTION, 'standardize must be a boolean', standardize);
  const n = checkSplit('train', o.train as LabelledFeatures, dims, classes);
  const nTest = checkSplit('test', o.test as LabelledFeatures, dims, classes);
  const m = standardize ? moments(o.train!.features, n, dims) : undefined;
  const trainX = prepared(o.train!.features, dims, m);
  const testX = prepared(o.test!.features, dims, m);
  const trainY = o.train!.labels;
  const testY = o.test!.labels;

  const zeros = (shape: number[]): TFJS.Variable => {
    const z = tf.zeros(shape);
    try {
      return tf.variable(z, true, undefined, 'float32');
    } finally {
      z.dispose();
    }
  };
  const weights = zeros([dims, classes]);
  const bias = zeros([classes]);
  // Adam by hand (beta1 0.9, beta2 0.999, epsilon 1e-7 as tf.train.adam) so the schedule can set each step's rate.
  const moments1 = [zeros([dims, classes]), zeros([classes])];
  const moments2 = [zeros([dims, classes]), zeros([classes])];
  const params = [weights, bias];
  const totalSteps = epochs * Math.ceil(n / batchSize);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let steps = 0;
  let loss = Number.NaN;
  try {
    const xb = new Float32Array(batchSize * dims);
    const yb = new Int32Array(batchSize);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const rng = Random.derive(seed, 'linear-probe', epoch);
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(0, i);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      let sum = 0;
      let count = 0;
      for (let start = 0; start < n; start += batchSize) {
        const rows = Math.min(batchSize, n - start);
        for (let r = 0; r < rows; r++) {
          const src = order[start + r]!;
          xb.set(trainX.subarray(src * dims, (src + 1) * dims), r * dims);
          yb[r] = trainY[src]!;
        }
        const stepLoss = tf.tidy(() => {
          const x = tf.tensor2d(xb.subarray(0, rows * dims), [rows, dims], 'float32');
          const y = tf.oneHot(tf.tensor1d(yb.subarray(0, rows), 'int32'), classes);
          const { value, grads } = tf.variableGrads(() => {
            const ce = tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, weights), bias));
            return (l2 > 0 ? tf.add(ce, tf.mul(l2, tf.sum(tf.square(weights)))) : ce) as TFJS.Scalar;
          }, params);
          const t = steps + 1;
          const rate =
            schedule === 'cosine' ? learningRate * 0.5 * (1 + Math.cos((Math.PI * steps) / totalSteps)) : learningRate;
          const stepSize = (rate * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
          for (const [k, p] of params.entries()) {
            const g = grads[p.name]!;
            const m1 = moments1[k]!;
            const m2 = moments2[k]!;
            m1.assign(tf.add(tf.mul(m1, 0.9), tf.mul(g, 0.1)));
            m2.assign(tf.add(tf.mul(m2, 0.999), tf.mul(tf.square(g), 0.001)));
            p.assign(tf.sub(p, tf.div(tf.mul(m1, stepSize), tf.add(tf.sqrt(m2), 1e-7))));
          }
          return value;
        });
        sum += stepLoss.dataSync()[0]!;
        stepLoss.dispose();
        count++;
        steps++;
      }
      loss = sum / count;
      o.onEpoch?.({ epoch, loss });
    }
    const accuracy = (x: Float32Array, y: Int32Array): number => {
      let correct = 0;
      const chunk = 4096;
      for (let start = 0; start < y.length; start += chunk) {
        const rows = Math.min(chunk, y.length - start);
        const argMax = tf.tidy(() =>
          tf.argMax(
            tf.add(
              tf.matMul(tf.tensor2d(x.subarray(start * dims, (start + rows) * dims), [rows, dims], 'float32'), weights),
              bias,
            ),
            1,
          ),
        );
        let predicted: TFJS.TypedArray;
        try {
          predicted = argMax.dataSync();
        } finally {
          argMax.dispose();
        }
        for (let r = 0; r < rows; r++) if (predicted[r] === y[start + r]) correct++;
      }
      return correct / y.length;
    };
    const top1 = accuracy(testX, testY);
    const trainTop1 = accuracy(trainX, trainY);
    return {
      top1,
      trainTop1,
      epochs,
      steps,
      loss,
      trainSamples: n,
      testSamples: nTest,
      dims,
      classes,
      weights: (await weights.data()) as Float32Array,
      bias: (await bias.data()) as Float32Array,
    };
  } finally {
    for (const v of [weights, bias, ...moments1, ...moments2]) v.dispose();
  }
}
