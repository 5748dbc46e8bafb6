import type * as TFJS from '@tensorflow/tfjs';
import { rangeError, typeError } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import { pixelsToTensor } from '../internal/pixels-to-tensor.js';
import type { ClipBatch } from '../../sources/video/video-clip.js';

/**
 * The boundary from the loader's pixels to an encoder input: an {@link ImageBatch} `[n, h, w, c]` or a
 * {@link ClipBatch} `[n, t, h, w, c]` as one float32 tensor of the same shape. `Uint8Array` pixels are
 * scaled `x / 127.5 - 1` to [-1, 1] (in JavaScript, so the only tensor made is the result);
 * `Float32Array` pixels are used as they are (the pixel boundary every sink shares, `pixelsToTensor`).
 * The caller owns (and disposes) the tensor.
 *
 * @throws TypeError/RangeError when the batch is not an image or clip batch or its data does not fill its shape.
 */
export function viewsToTensor(tf: typeof TFJS, batch: ImageBatch | ClipBatch, what = 'views'): TFJS.Tensor {
  const action = `convert the ${what} to a tensor`;
  const { data, shape } = (batch ?? {}) as Partial<ImageBatch>;
  if (!(data instanceof Uint8Array || data instanceof Float32Array))
    throw typeError(action, 'data must be a Uint8Array or Float32Array', typeof data);
  if (
    !Array.isArray(shape) ||
    (shape.length !== 4 && shape.length !== 5) ||
    !shape.every((s) => Number.isInteger(s) && s > 0)
  ) {
    throw rangeError(action, 'shape must be [n, h, w, c] or [n, t, h, w, c] of positive integers', shape);
  }
  return pixelsToTensor(tf, action, data, shape);
}
