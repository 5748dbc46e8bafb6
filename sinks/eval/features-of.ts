import type * as TFJS from '@tensorflow/tfjs';
import type { ImageBatch } from '../../sources/sample.js';
import type { FeatureMatrix } from './feature-matrix.js';
import { classifierInput } from './internal/classifier-input.js';

/**
 * The feature vectors of every image of a stream of image batches (uint8 `[n, 28|32, 28|32, c]` as the
 * loader's `batch` stacks decoded images, or float32 in [-1, 1]; 28 px images are padded with black
 * to the model's 32 as in training), through a feature model (`createFmnistClassifier(...).features`
 * or `loadFmnistClassifier(...).features`), batch by batch: each batch's tensors are disposed before
 * the next is read, so memory holds one batch of tensors and the growing float32 matrix. Use it once
 * for the real images (e.g. 10k test images) and pass the result to `evaluateGenerator` as `real`.
 * Deterministic.
 *
 * @example
 * const real = await featuresOf(tf, features, imageBatches); // { data, shape: [10000, 128] }
 * @throws RangeError when the images do not fit the model's input; RangeError when no image came.
 */
export async function featuresOf(
  tf: typeof TFJS,
  featureModel: TFJS.LayersModel,
  batches: AsyncIterable<ImageBatch> | Iterable<ImageBatch>,
): Promise<FeatureMatrix> {
  const size = featureModel.inputs[0]!.shape[1] as number;
  const d = featureModel.outputs[0]!.shape[1] as number;
  const chunks: Float32Array[] = [];
  let n = 0;
  for await (const batch of batches) {
    const x = classifierInput(tf, batch, size);
    let f: TFJS.Tensor;
    try {
      f = featureModel.predict(x) as TFJS.Tensor;
    } finally {
      x.dispose();
    }
    try {
      chunks.push((await f.data()) as Float32Array);
    } finally {
      f.dispose();
    }
    n += batch.shape[0];
  }
  if (n === 0)
    throw new RangeError('Cannot compute features as the batches must hold at least one image: current value is 0');
  const data = new Float32Array(n * d);
  let offset = 0;
  for (const c of chunks) {
    data.set(c, offset);
    offset += c.length;
  }
  return { data, shape: [n, d] };
}
