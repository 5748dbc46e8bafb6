import { rangeError, typeError } from '../../sources/errors.js';
import type { ClipBatch } from '../../sources/video/video-clip.js';
import type { NdaContext } from './nda-transform.js';

/**
 * The contract of a negative (NDA) transform for video: the clip-batch form of `NdaTransform`. A
 * transform is pure: it reads a stacked batch of real clips (`[n, T, H, W, C]`, `Uint8Array` or
 * `Float32Array`) and returns a new batch of negatives (one per real clip, same shape and dtype)
 * and, for transforms that mix two clips, the index of each clip's partner in the batch (a
 * derangement: never the clip itself). Randomness derives from `(seed, name, epoch, key)` per clip
 * and `(seed, name, epoch, all keys)` per batch, as for images, so the same batch gets the same
 * negatives whatever the concurrency. `context.keys` are the clips' keys in batch order (one per
 * clip: when a sample gives several clips, make their keys distinct, e.g. `key#0`, `key#1`).
 */
export interface VideoNdaTransform<Options = unknown> {
  /** Stable name: `shuffle`, `reverse`, `splice`, `static`, or the image transform's name (`jigsaw`, ...). */
  readonly name: string;
  /** The resolved options (plain JSON, so the transform can be rebuilt in a worker thread). */
  readonly options: Options;
  /** Makes the negatives of one clip batch. Must not modify `clips`. */
  apply(clips: ClipBatch, context: NdaContext): VideoNdaResult;
}

/** The negatives of a clip batch. */
export interface VideoNdaResult {
  /** One negative per real clip, same shape and dtype as the input. */
  readonly clips: ClipBatch;
  /** For mixing transforms, the partner's index in the batch for each clip (never its own); null otherwise. */
  readonly partners: Int32Array | null;
}

/**
 * The dimensions of a clip batch, checked against its data and the context (a video transform's
 * input): a `[n, T, H, W, C]` shape of non-negative integers with at least `minFrames` frames,
 * `Uint8Array`/`Float32Array` data of n*T*H*W*C values, and one key per clip.
 */
export function clipBatchDims(
  action: string,
  clips: ClipBatch,
  context: NdaContext,
  minFrames: number,
): readonly [n: number, t: number, h: number, w: number, c: number] {
  const shape = clips?.shape;
  if (!Array.isArray(shape) || shape.length !== 5 || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw typeError(action, 'clips must be a stacked clip batch of shape [n, T, h, w, c]', shape);
  const data = clips.data;
  if (!(data instanceof Uint8Array || data instanceof Float32Array))
    throw typeError(action, 'the pixels must be a Uint8Array or a Float32Array', Object.prototype.toString.call(data));
  const [n, t, h, w, c] = shape as unknown as [number, number, number, number, number];
  if (data.length !== n * t * h * w * c)
    throw rangeError(
      action,
      `the data must hold n*T*h*w*c = ${n * t * h * w * c} values for shape [${shape.join(', ')}]`,
      data.length,
    );
  if (t < minFrames)
    throw rangeError(action, `every clip must have at least ${minFrames} frame${minFrames === 1 ? '' : 's'}`, t);
  if (!Array.isArray(context?.keys) || context.keys.length !== n)
    throw rangeError(action, `the context must give one key per clip (${n})`, context?.keys?.length);
  return [n, t, h, w, c];
}
