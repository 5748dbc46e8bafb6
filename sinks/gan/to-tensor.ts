import type * as TFJS from '@tensorflow/tfjs';
import { rangeError, typeError } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import { pixelsToTensor } from '../internal/pixels-to-tensor.js';

/**
 * The boundary from the loader's pixels to a network input: an {@link ImageBatch} `[n, h, w, c]` as one
 * float32 `Tensor4D` in [-1, 1]. `Uint8Array` pixels are scaled `x / 127.5 - 1` (in JavaScript, so the
 * only tensor made is the result); `Float32Array` pixels are taken as they are (already scaled, e.g. by
 * a normalising operator), through the one pixel boundary every sink shares (`pixelsToTensor`). The
 * caller owns (and disposes) the tensor.
 *
 * @throws TypeError/RangeError when the batch is not an image batch or its data does not fill its shape.
 */
export function imageBatchToTensor(tf: typeof TFJS, batch: ImageBatch): TFJS.Tensor4D {
  const action = 'convert an image batch to a tensor';
  const { data, shape } = (batch ?? {}) as Partial<ImageBatch>;
  if (!(data instanceof Uint8Array || data instanceof Float32Array))
    throw typeError(action, 'data must be a Uint8Array or Float32Array', typeof data);
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw rangeError(action, 'shape must be [n, h, w, c] of positive integers', shape);
  }
  return pixelsToTensor(tf, action, data, shape) as TFJS.Tensor4D;
}
