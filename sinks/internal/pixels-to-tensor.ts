import type * as TFJS from '@tensorflow/tfjs';
import { rangeError } from '../../sources/errors.js';

/**
 * The one boundary from the loader's pixels to a float32 tensor, for every sink (`imageBatchToTensor`,
 * `viewsToTensor`, `encoderFeatures`): `data` laid out row-major in `shape` (any rank: images
 * `[n, h, w, c]`, clips `[n, t, h, w, c]`, ...) as one float32 tensor of that shape. `Uint8Array` pixels
 * are scaled `x / 127.5 - 1` to [-1, 1] (in JavaScript, so the only tensor made is the result);
 * `Float32Array` values are taken as they are (already scaled, e.g. by a normalising operator). The
 * caller checks the data's type and the shape's rank and dimensions (each sink has its own rules) and
 * owns (and disposes) the tensor.
 *
 * @throws RangeError `Cannot <action> as data must hold N values for shape [...]` when the data does not
 *   fill the shape exactly.
 */
export function pixelsToTensor(
  tf: typeof TFJS,
  action: string,
  data: Uint8Array | Float32Array,
  shape: readonly number[],
): TFJS.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size)
    throw rangeError(action, `data must hold ${size} values for shape ${JSON.stringify(shape)}`, data.length);
  let values: Float32Array;
  if (data instanceof Float32Array) {
    values = data;
  } else {
    values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = data[i]! / 127.5 - 1;
  }
  return tf.tensor(values, [...shape], 'float32');
}
