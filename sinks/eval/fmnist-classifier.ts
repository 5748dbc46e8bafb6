import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger } from '../../sources/errors.js';
import { seededKernel } from '../gan/seeded-init.js';
import { classifierFeatures } from './classifier-features.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CREATE_FMNIST_CLASSIFIER_KEYS = optionKeys<FmnistClassifierOptions>({
  seed: true,
  size: true,
  channels: true,
  classes: true,
});

/** Name of the classifier's feature layer (global average pool of the last conv), read by {@link classifierFeatures}. */
export const FEATURE_LAYER = 'features';

/** Options of {@link createFmnistClassifier}. */
export interface FmnistClassifierOptions {
  /**
   * Seed of the kernel initialisers: each layer's kernel is tfjs's `glorotNormal` seeded with
   * `deriveSeed(seed, 'fmnist-classifier', layerName)`, so two classifiers built with one seed are equal.
   * An integer in [0, 2^32 - 1].
   * @default undefined (tfjs's unseeded default initialisers)
   */
  readonly seed?: number;
  /** Image side in pixels (the GAN's format is 32: 28 px padded by 2 each side). At least 8 (three 2x2 pools). @default 32 */
  readonly size?: number;
  /** Image channels. @default 1 */
  readonly channels?: number;
  /** Classes (logits out). @default 10 */
  readonly classes?: number;
}

/** The two views of one classifier built by {@link createFmnistClassifier} or loaded by `loadFmnistClassifier`. */
export interface FmnistClassifier {
  /** `[n, size, size, channels]` images in [-1, 1] -> `[n, classes]` logits (no softmax). The model to train and save. */
  readonly classifier: TFJS.LayersModel;
  /** The same layers (shared weights), output the 128-d feature layer: `[n, size, size, channels]` -> `[n, 128]`. */
  readonly features: TFJS.LayersModel;
}

/**
 * The in-domain feature extractor of the evaluation (issue 4 item 5): a small CNN classifier for
 * Fashion-MNIST in the GAN's image format (32x32x1 in [-1, 1]), NHWC:
 * conv 32 k3 'same', ReLU, maxpool 2; conv 64 k3, ReLU, maxpool 2; conv 64 k3, ReLU, maxpool 2 (4x4x64);
 * flatten; dense 128, ReLU (the 128-d FEATURE layer, named {@link FEATURE_LAYER}); dense -> 10 logits.
 * 188,234 parameters (753 kB of float32 weights). A dense feature layer rather than a global average
 * pool, because it converges in one epoch (a GAP head needed several); no dropout or batch norm, so
 * training and inference compute the same function and a run is deterministic given the seed and backend.
 *
 * Returns the classifier and its feature model (a second `tf.model` over the same layers; disposing
 * the classifier disposes the shared weights, so dispose the classifier only). Train it with
 * `trainFmnistClassifier`; the trained weights shipped with the package load with `loadFmnistClassifier`.
 *
 * `tf` is the `@tensorflow/tfjs` module with its backend already chosen.
 *
 * @example
 * const { classifier, features } = createFmnistClassifier(tf, { seed: 1 });
 * const f = features.predict(tf.zeros([2, 32, 32, 1])) as tf.Tensor2D; // [2, 128]
 * @throws RangeError/TypeError for a bad option.
 */
export function createFmnistClassifier(tf: typeof TFJS, options: FmnistClassifierOptions = {}): FmnistClassifier {
  checkOptionKeys('createFmnistClassifier', options, CREATE_FMNIST_CLASSIFIER_KEYS);
  const action = 'create an fmnist classifier';
  const size = checkInteger(action, 'size', options.size ?? 32, 8);
  const channels = checkInteger(action, 'channels', options.channels ?? 1, 1);
  const classes = checkInteger(action, 'classes', options.classes ?? 10, 2);
  const seed = options.seed === undefined ? undefined : checkInteger(action, 'seed', options.seed, 0, 0xffffffff);
  const init = (name: string) => seededKernel(tf, seed, 'fmnist-classifier', name);

  const input = tf.input({ shape: [size, size, channels], name: 'image' });
  const conv = (t: TFJS.SymbolicTensor, filters: number, n: number): TFJS.SymbolicTensor => {
    const y = tf.layers
      .conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', name: `conv${n}`, ...init(`conv${n}`) })
      .apply(t) as TFJS.SymbolicTensor;
    return tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${n}` }).apply(y) as TFJS.SymbolicTensor;
  };
  const x = conv(conv(conv(input, 32, 1), 64, 2), 64, 3);
  const flat = tf.layers.flatten({ name: 'flatten' }).apply(x) as TFJS.SymbolicTensor;
  const feats = tf.layers
    .dense({ units: 128, activation: 'relu', name: FEATURE_LAYER, ...init(FEATURE_LAYER) })
    .apply(flat) as TFJS.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: classes, name: 'logits', ...init('logits') })
    .apply(feats) as TFJS.SymbolicTensor;
  const classifier = tf.model({ inputs: input, outputs: logits, name: 'fmnist-classifier' });
  return { classifier, features: classifierFeatures(tf, classifier) };
}
