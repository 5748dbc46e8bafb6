import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import { imageBatchToTensor } from '../gan/to-tensor.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const SCORE_IMAGES_KEYS = optionKeys<ScoreImagesOptions>({ batchSize: true });

/** Images with their sample keys, one item of what {@link scoreImages} reads. */
export interface KeyedImages {
  /** The images, `[n, h, w, c]` (uint8 pixels are scaled to [-1, 1]; float32 ones are taken as they are). */
  readonly images: ImageBatch;
  /**
   * The images' `__key__`s, one per image.
   * @default `'<running index>'` for each image (`'0'`, `'1'`, ... over all batches)
   */
  readonly keys?: readonly string[];
}

/** Options of {@link scoreImages}. */
export interface ScoreImagesOptions {
  /** Images per forward pass (bounds the tensor memory whatever the input batches' size). An integer >= 1. @default 256 */
  readonly batchSize?: number;
}

/** What {@link scoreImages} returns. */
export interface ImageScores {
  /** One logit per image, in input order. */
  readonly scores: Float32Array;
  /** The images' keys, in the same order. */
  readonly keys: string[];
}

const ACTION = 'score images';

/**
 * Scores images with a trained discriminator, for anomaly detection (issue 4): the score of an image
 * is D's logit (`discriminator.apply(x, {training: false})`, one value per image; higher = more
 * in-distribution). The input is one image batch, a `KeyedImages`, or a (sync or async)
 * iterable of them (e.g. a loader's batches mapped to `{images: b.png, keys: b.__key__}`); each is cut
 * into forward passes of at most `batchSize` images, each converted with `imageBatchToTensor` and
 * every tensor of a pass released after it (the tensor count is flat). Deterministic (the network is
 * run in inference mode).
 *
 * `tf` is the `@tensorflow/tfjs` module with its backend chosen.
 *
 * @throws TypeError/RangeError for a bad option, an item that is not an image batch, keys that do not
 *   match the images, or a network output that is not one value per image.
 * @example
 * const { scores } = await scoreImages(tf, models.discriminator, { data, shape: [100, 32, 32, 1] });
 */
export async function scoreImages(
  tf: typeof TFJS,
  discriminator: TFJS.LayersModel,
  batches: ImageBatch | KeyedImages | Iterable<ImageBatch | KeyedImages> | AsyncIterable<ImageBatch | KeyedImages>,
  options: ScoreImagesOptions = {},
): Promise<ImageScores> {
  checkOptionKeys('scoreImages', options, SCORE_IMAGES_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const batchSize = checkInteger(ACTION, 'batchSize', options.batchSize ?? 256, 1, 1 << 20);
  if (typeof discriminator?.apply !== 'function')
    throw typeError(ACTION, 'discriminator must be a tfjs LayersModel', typeof discriminator);
  const chunks: Float32Array[] = [];
  const keys: string[] = [];
  let total = 0;
  for await (const item of items(batches)) {
    const { images, keys: given } = keyed(item);
    const [n, h, w, c] = images.shape;
    if (given !== undefined && (!Array.isArray(given) || given.length !== n)) {
      throw rangeError(
        ACTION,
        `keys must have one key per image (${n})`,
        Array.isArray(given) ? given.length : typeof given,
      );
    }
    const per = h * w * c;
    if (images.data.length !== n * per)
      throw rangeError(
        ACTION,
        `data must hold ${n * per} values for shape ${JSON.stringify(images.shape)}`,
        images.data.length,
      );
    for (let at = 0; at < n; at += batchSize) {
      const m = Math.min(batchSize, n - at);
      const part: ImageBatch = { data: images.data.subarray(at * per, (at + m) * per), shape: [m, h, w, c] };
      const x = imageBatchToTensor(tf, part);
      let logits: TFJS.Tensor | undefined;
      try {
        logits = discriminator.apply(x, { training: false }) as TFJS.Tensor;
        if (logits.size !== m)
          throw rangeError(ACTION, 'the discriminator must give one value per image', logits.shape);
        chunks.push((await logits.data()) as Float32Array);
      } finally {
        x.dispose();
        logits?.dispose();
      }
    }
    for (let i = 0; i < n; i++) keys.push(given !== undefined ? String(given[i]) : String(total + i));
    total += n;
  }
  const scores = new Float32Array(total);
  let o = 0;
  for (const chunk of chunks) {
    scores.set(chunk, o);
    o += chunk.length;
  }
  return { scores, keys };
}

function isImageBatch(value: unknown): value is ImageBatch {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ImageBatch>;
  return (
    (v.data instanceof Uint8Array || v.data instanceof Float32Array) &&
    Array.isArray(v.shape) &&
    v.shape.length === 4 &&
    v.shape.every((s) => Number.isInteger(s) && s >= 0)
  );
}

function keyed(item: unknown): KeyedImages {
  if (isImageBatch(item)) return { images: item };
  if (typeof item === 'object' && item !== null && isImageBatch((item as KeyedImages).images))
    return item as KeyedImages;
  throw typeError(
    ACTION,
    'each item must be an image batch {data, shape: [n, h, w, c]} or {images, keys}',
    item === null || typeof item !== 'object' ? item : Object.keys(item),
  );
}

async function* items(batches: unknown): AsyncGenerator<unknown> {
  if (isImageBatch(batches) || (typeof batches === 'object' && batches !== null && 'images' in batches)) {
    yield batches;
    return;
  }
  if (
    batches !== null &&
    typeof batches === 'object' &&
    (Symbol.asyncIterator in batches || Symbol.iterator in batches)
  ) {
    yield* batches as AsyncIterable<unknown>;
    return;
  }
  throw typeError(ACTION, 'batches must be an image batch, {images, keys} or an iterable of them', typeof batches);
}
