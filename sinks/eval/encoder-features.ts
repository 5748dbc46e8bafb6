import type * as TFJS from '@tensorflow/tfjs';
import { rangeError, typeError } from '../../sources/errors.js';
import { pixelsToTensor } from '../internal/pixels-to-tensor.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const ENCODER_FEATURES_KEYS = optionKeys<EncoderFeaturesOptions>({ signal: true });

/** A batch of encoder inputs: images `[n, h, w, c]`, clips `[n, t, h, w, c]`, or any `[n, ...]` the encoder takes. */
export interface EncoderInputBatch {
  /** uint8 pixels (scaled `x / 127.5 - 1`) or float32 values taken as they are. */
  readonly data: Uint8Array | Float32Array;
  readonly shape: readonly number[];
}

/** Options of {@link encoderFeatures}. */
export interface EncoderFeaturesOptions {
  /** Stops after the current batch when aborted (the promise rejects with the reason). @default none */
  readonly signal?: AbortSignal;
}

/**
 * The features of a frozen encoder for a stream of input batches, batch by batch, row-major
 * `[n, d]` with `d` the encoder's output width (`encoder.outputs[0].shape`, flattened past the batch
 * axis): n = the total of the batches' first dimensions (0 batches: an empty array). Inputs go in
 * like `imageBatchToTensor` makes them: `Uint8Array` pixels scaled to [-1, 1] (`x / 127.5 - 1`),
 * `Float32Array` values as they are. The encoder runs in inference mode (`predict`: batch norm uses
 * its moving statistics, dropout is off) and is not changed; each batch's tensors are released
 * before the next batch is read, on errors too, so memory holds one batch of tensors and the growing
 * result. Deterministic given the encoder, the batches and the backend.
 *
 * @example
 * const feats = await encoderFeatures(tf, encoder, batches); // Float32Array n * d
 * await trainLinearProbe(tf, { train: { features: feats, labels }, test, dims: feats.length / n, classes: 10 });
 * @throws TypeError/RangeError for a batch that is not `{data, shape}` with matching sizes or whose
 *   shape does not fit the encoder's input; the abort reason when aborted.
 */
export async function encoderFeatures(
  tf: typeof TFJS,
  encoder: TFJS.LayersModel,
  batches: AsyncIterable<EncoderInputBatch> | Iterable<EncoderInputBatch>,
  options: EncoderFeaturesOptions = {},
): Promise<Float32Array> {
  checkOptionKeys('encoderFeatures', options, ENCODER_FEATURES_KEYS);
  const action = 'compute encoder features';
  const inputShape = encoder.inputs[0]!.shape;
  const chunks: Float32Array[] = [];
  let total = 0;
  for await (const batch of batches) {
    options.signal?.throwIfAborted();
    const { data, shape } = (batch ?? {}) as Partial<EncoderInputBatch>;
    if (!(data instanceof Uint8Array || data instanceof Float32Array))
      throw typeError(action, 'each batch must have data as a Uint8Array or Float32Array', typeof data);
    if (
      !Array.isArray(shape) ||
      shape.length !== inputShape.length ||
      !shape.every((s) => Number.isInteger(s) && s >= 0)
    ) {
      throw rangeError(
        action,
        `each batch's shape must have the encoder's rank ${inputShape.length} ([n, ${inputShape.slice(1).join(', ')}])`,
        shape,
      );
    }
    for (let a = 1; a < shape.length; a++) {
      const want = inputShape[a];
      if (want !== null && want !== undefined && shape[a] !== want)
        throw rangeError(
          action,
          `each batch's shape must be [n, ${inputShape.slice(1).join(', ')}] for the encoder`,
          shape,
        );
    }
    const x = pixelsToTensor(tf, action, data, shape);
    if (shape[0] === 0) {
      // An empty batch adds no rows (its data was checked to be empty): nothing to run.
      x.dispose();
      continue;
    }
    let y: TFJS.Tensor;
    try {
      const out = encoder.predict(x);
      if (Array.isArray(out)) {
        for (const t of out) t.dispose();
        throw typeError(action, 'the encoder must have one output', out.length);
      }
      y = out;
    } finally {
      x.dispose();
    }
    try {
      const out = (await y.data()) as Float32Array;
      chunks.push(out instanceof Float32Array ? out : Float32Array.from(out));
    } finally {
      y.dispose();
    }
    total += chunks[chunks.length - 1]!.length;
  }
  options.signal?.throwIfAborted();
  if (chunks.length === 1) return chunks[0]!;
  const features = new Float32Array(total);
  let offset = 0;
  for (const c of chunks) {
    features.set(c, offset);
    offset += c.length;
  }
  return features;
}
