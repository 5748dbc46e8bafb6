import { rangeError, typeError, isArray } from '../../sources/errors.js';
import type { EncoderInputBatch } from './encoder-features.js';

/**
 * The raw-pixel baseline of linear evaluation: every input of a stream of batches flattened to one
 * row, `Uint8Array` pixels scaled to [-1, 1] (`x / 127.5 - 1`, as `encoderFeatures` feeds an encoder),
 * `Float32Array` values as they are; row-major `[n, d]` with `d` the product of a batch's shape past
 * its first axis (the same for every batch). 0 batches: an empty array. Deterministic.
 *
 * @example const feats = await pixelFeatures(batches); // [n, 28 * 28] for gray Fashion-MNIST
 * @throws TypeError/RangeError for a batch that is not `{data, shape}` with matching sizes, or whose
 *   row width differs from the first batch's.
 */
export async function pixelFeatures(
  batches: AsyncIterable<EncoderInputBatch> | Iterable<EncoderInputBatch>,
): Promise<Float32Array> {
  const action = 'compute pixel features';
  const chunks: Float32Array[] = [];
  let width: number | undefined;
  let total = 0;
  for await (const batch of batches) {
    const { data, shape } = (batch ?? {}) as Partial<EncoderInputBatch>;
    if (!(data instanceof Uint8Array || data instanceof Float32Array))
      throw typeError(action, 'each batch must have data as a Uint8Array or Float32Array', typeof data);
    if (!isArray(shape) || shape.length < 2 || !shape.every((s) => Number.isInteger(s) && s >= 0))
      throw rangeError(action, 'each batch must have a shape [n, ...] of integers', shape);
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw rangeError(action, `data must hold ${size} values for shape ${JSON.stringify(shape)}`, data.length);
    const w = shape.slice(1).reduce((a, b) => a * b, 1);
    width ??= w;
    if (w !== width) throw rangeError(action, `every batch must have rows of ${width} values`, w);
    chunks.push(data instanceof Float32Array ? data : Float32Array.from(data, (v) => v / 127.5 - 1));
    total += size;
  }
  const out = new Float32Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
