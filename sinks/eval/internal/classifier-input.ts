import type * as TFJS from '@tensorflow/tfjs';
import { rangeError } from '../../../sources/errors.js';
import type { ImageBatch } from '../../../sources/sample.js';
import { imageBatchToTensor } from '../../gan/to-tensor.js';

/**
 * An image batch as the classifier's input: float32 in [-1, 1] (`imageBatchToTensor`), padded
 * symmetrically with -1 (black) from a smaller square side to `size` (Fashion-MNIST's 28 to the GAN's
 * 32). The caller owns the tensor.
 * @throws RangeError when the images are not square, larger than `size`, or the padding is odd.
 */
export function classifierInput(tf: typeof TFJS, batch: ImageBatch, size: number): TFJS.Tensor4D {
  const [, h, w] = batch.shape;
  if (h !== w || h > size || (size - h) % 2 !== 0) {
    throw rangeError(
      'feed a batch to the classifier',
      `images must be square with a side of ${size} or ${size} minus an even number`,
      `${h}x${w}`,
    );
  }
  const x = imageBatchToTensor(tf, batch);
  if (h === size) return x;
  const p = (size - h) / 2;
  const padded = tf.pad(
    x,
    [
      [0, 0],
      [p, p],
      [p, p],
      [0, 0],
    ],
    -1,
  );
  x.dispose();
  return padded;
}
