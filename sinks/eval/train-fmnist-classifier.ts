import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, rangeError } from '../../sources/errors.js';
import { createFmnistClassifier, type FmnistClassifier } from './fmnist-classifier.js';
import { checkLabels } from './internal/check-labels.js';
import { classifierInput } from './internal/classifier-input.js';
import type { LabelledBatch } from './labelled-batch.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const TRAIN_FMNIST_CLASSIFIER_KEYS = optionKeys<TrainFmnistClassifierOptions>({
  epochs: true,
  seed: true,
  size: true,
  learningRate: true,
  onProgress: true,
  signal: true,
});

/** One training step reported by {@link trainFmnistClassifier}. */
export interface ClassifierProgress {
  /** Epoch, from 1. */
  readonly epoch: number;
  /** Steps (batches) so far, from 1. */
  readonly step: number;
  /** Samples trained on so far. */
  readonly samples: number;
  /** This step's mean softmax cross-entropy. */
  readonly loss: number;
}

/** Options of {@link trainFmnistClassifier}. */
export interface TrainFmnistClassifierOptions {
  /** Passes over `trainBatches` (each pass iterates it afresh, so it must be re-iterable for more than 1). @default 1 */
  readonly epochs?: number;
  /** Seed of the initial weights (see `createFmnistClassifier`). @default undefined (unseeded) */
  readonly seed?: number;
  /** Input side of the classifier (see `createFmnistClassifier`; smaller images are padded to it). @default 32 */
  readonly size?: number;
  /** Adam's learning rate. @default 0.001 */
  readonly learningRate?: number;
  /** Called after every step. @default none */
  readonly onProgress?: (progress: ClassifierProgress) => void;
  /** Stops training after the current step when aborted (the model trained so far comes back). */
  readonly signal?: AbortSignal;
}

/** What {@link trainFmnistClassifier} returns: the trained classifier (the caller disposes `classifier`) and its figures. */
export interface TrainedFmnistClassifier extends FmnistClassifier {
  readonly steps: number;
  readonly samples: number;
  /** The last step's loss (NaN when no step ran). */
  readonly lastLoss: number;
}

/**
 * Trains a fresh `createFmnistClassifier` (32x32x1 by default) with Adam (learning rate 0.001) on the mean softmax cross-entropy of its
 * logits, one step per batch, in batch order (shuffle upstream, e.g. `fromShards({shuffle})`). Images
 * of side 28 are padded to 32 with black (-1), as the GAN pads them; uint8 pixels are scaled to [-1, 1].
 * Each step's tensors are released inside the step (`tf.tidy` around `optimizer.minimize`); the input
 * tensor is disposed even when a step throws, and the optimizer is disposed at the end. Deterministic
 * given the seed, the batch order and the backend.
 *
 * @example
 * const { classifier, features } = await trainFmnistClassifier(tf, batches, { seed: 1 });
 * @throws RangeError/TypeError for a bad option (before reading anything) or a batch whose labels do
 *   not match its images; RangeError when a later epoch yields no batch (the iterable is not re-iterable).
 *   On a throw the classifier is disposed.
 */
export async function trainFmnistClassifier(
  tf: typeof TFJS,
  trainBatches: AsyncIterable<LabelledBatch> | Iterable<LabelledBatch>,
  options: TrainFmnistClassifierOptions = {},
): Promise<TrainedFmnistClassifier> {
  checkOptionKeys('trainFmnistClassifier', options, TRAIN_FMNIST_CLASSIFIER_KEYS);
  const action = 'train an fmnist classifier';
  const epochs = checkInteger(action, 'epochs', options.epochs ?? 1, 1);
  const learningRate = options.learningRate ?? 0.001;
  if (typeof learningRate !== 'number' || !(learningRate > 0) || !Number.isFinite(learningRate))
    throw rangeError(action, 'learningRate must be a positive finite number', learningRate);
  const model = createFmnistClassifier(tf, { seed: options.seed, size: options.size });
  const size = model.classifier.inputs[0]!.shape[1] as number;
  const classes = model.classifier.outputs[0]!.shape[1] as number;
  const optimizer = tf.train.adam(learningRate);
  let steps = 0;
  let samples = 0;
  let lastLoss = Number.NaN;
  const aborted = (): boolean => options.signal?.aborted === true;
  try {
    for (let epoch = 1; epoch <= epochs && !aborted(); epoch++) {
      const before = steps;
      for await (const batch of trainBatches) {
        checkLabels(action, batch, classes);
        const x = classifierInput(tf, batch.images, size);
        try {
          const loss = tf.tidy(() => {
            const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), classes);
            return optimizer.minimize(
              () =>
                tf.losses.softmaxCrossEntropy<TFJS.Tensor, TFJS.Scalar>(
                  y,
                  model.classifier.apply(x, { training: true }) as TFJS.Tensor2D,
                ),
              true,
            ) as TFJS.Scalar;
          });
          lastLoss = loss.dataSync()[0] as number;
          loss.dispose();
        } finally {
          x.dispose();
        }
        steps++;
        samples += batch.labels.length;
        options.onProgress?.({ epoch, step: steps, samples, loss: lastLoss });
        if (aborted()) break;
      }
      if (steps === before && !aborted())
        throw rangeError(
          action,
          `trainBatches must yield batches in epoch ${epoch} (re-iterable for epochs > 1)`,
          'no batch',
        );
    }
  } catch (error) {
    model.classifier.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  return { ...model, steps, samples, lastLoss };
}
