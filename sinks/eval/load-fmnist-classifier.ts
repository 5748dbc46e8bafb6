import type * as TFJS from '@tensorflow/tfjs';
import { fileIoHandler } from '../checkpoint/file-io-handler.js';
import { classifierFeatures } from './classifier-features.js';
import type { FmnistClassifier } from './fmnist-classifier.js';
import { embeddedData } from '../../sources/package-root.js';

/**
 * Loads a classifier saved with `fileIoHandler` (`model.json` + `weights.bin`, as `ndaflow run
 * fmnist-classifier` writes it) and its feature model. Without `dir` it loads the trained classifier
 * shipped with the package in `data/fmnist-classifier/` (resolved from the package root, not the cwd;
 * see that folder's README for how it was trained and its test accuracy), the feature extractor of
 * `evaluateGenerator`. The caller disposes `classifier` (which frees the weights `features` shares).
 *
 * @param dir The folder. @default the package's `data/fmnist-classifier`
 * @throws Error `Cannot load model artifacts as ...` when the folder holds no valid model; RangeError
 *   when the model has no `features` layer.
 */
export async function loadFmnistClassifier(tf: typeof TFJS, dir?: string): Promise<FmnistClassifier> {
  const classifier = await tf.loadLayersModel(fileIoHandler(tf, dir ?? embeddedData('fmnist-classifier')));
  try {
    return { classifier, features: classifierFeatures(tf, classifier) };
  } catch (error) {
    classifier.dispose();
    throw error;
  }
}
