import type * as TFJS from '@tensorflow/tfjs';
import { rangeError } from '../../sources/errors.js';

/**
 * The feature model of a classifier: a second `tf.model` over the classifier's own layers (weights
 * shared, nothing copied) whose output is the layer named `layerName` (by default the 128-d global
 * average pool of `createFmnistClassifier`). Use it for a loaded classifier (`loadFmnistClassifier`
 * already calls it). It owns no weights of its own: dispose the classifier, not this model.
 *
 * @param layerName The feature layer. @default 'features'
 * @throws RangeError when the classifier has no layer of that name.
 */
export function classifierFeatures(
  tf: typeof TFJS,
  classifier: TFJS.LayersModel,
  layerName = 'features',
): TFJS.LayersModel {
  const layer = classifier.layers.find((l) => l.name === layerName);
  if (layer === undefined)
    throw rangeError(
      'make a feature model',
      `the classifier must have a layer named ${JSON.stringify(layerName)} (it has ${classifier.layers.map((l) => l.name).join(', ')})`,
      layerName,
    );
  return tf.model({
    inputs: classifier.inputs,
    outputs: layer.output,
    name: `${classifier.name}-features`,
  });
}
