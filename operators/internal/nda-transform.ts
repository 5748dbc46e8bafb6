import type { ImageBatch } from '../../sources/sample.js';
import { Random } from '../../sources/random.js';

/**
 * The contract every negative (NDA) transform implements, so that the per-transform operators
 * (`jigsaw`, `stitch`, ...), the pairing operator (`ndaPairs`) and the worker pool share one
 * implementation. A transform is pure: it reads a stacked batch of real images and returns a new
 * batch of negatives (one per real image) and, for transforms that mix two images, the index of
 * each image's partner in the batch (a derangement: never the image itself).
 */
export interface NdaTransform<Options = unknown> {
  /** Stable name (`jigsaw`, `stitch`, `mixup`, `cutout`, `cutmix`, `shift`, `noise`). */
  readonly name: string;
  /** The resolved options (plain JSON, so the transform can be rebuilt in a worker thread). */
  readonly options: Options;
  /**
   * Makes the negatives of one batch. Must not modify `images`. The negatives are written into
   * `into` when it is given (the same element type and length as `images.data`, not overlapping
   * it; its old values are overwritten), else into a fresh buffer. A caller that makes negatives in
   * a loop and is done with each batch before the next should pass one buffer back each time: a
   * fresh buffer per call costs more than the transform itself (see `outputFor`).
   */
  apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): NdaResult;
}

/** What a transform needs to know about the batch besides its pixels. */
export interface NdaContext {
  /** Seed of the transform. */
  readonly seed: number;
  /** Epoch (pass) the batch's samples were read in. */
  readonly epoch: number;
  /** The members' `__key__`s, in batch order. */
  readonly keys: readonly string[];
}

/** The negatives of a batch. */
export interface NdaResult {
  /** One negative per real image, same shape and dtype as the input. */
  readonly images: ImageBatch;
  /**
   * For mixing transforms, the partner's index in the batch for each image (never its own with the
   * default `partners: 'derangement'`; may be its own with `partners: 'official'`); null otherwise.
   */
  readonly partners: Int32Array | null;
}

/**
 * The generator for batch-level choices of a transform (stitch direction, mixup's lambda, cutmix's
 * box, the partner derangement): derived from (seed, transform, epoch, every key of the batch), so
 * the same batch gets the same negatives whatever the concurrency.
 */
export function batchRandom(name: string, context: NdaContext): Random {
  return Random.derive(context.seed, name, context.epoch, context.keys.join('\u0000'));
}

/** The generator for one image's choices (jigsaw permutation, cutout square): (seed, transform, epoch, key). */
export function imageRandom(name: string, context: NdaContext, index: number): Random {
  return Random.derive(context.seed, name, context.epoch, context.keys[index] as string);
}

/**
 * How a mixing transform (stitch, mixup, cutmix) pairs the images of a batch: `'derangement'`, a
 * uniformly random permutation without fixed points (no image is its own partner: ndaflow's default);
 * `'official'`, the paper's official code (`get_perm`): a uniformly random permutation of the batch
 * other than the identity, so an image may be its own partner (each with probability about 1/n; its
 * "negative" is then the image itself, weighted as a negative).
 */
export type PartnerDraw = 'derangement' | 'official';

/** The partner draws, for option checks. */
export const PARTNER_DRAWS: readonly PartnerDraw[] = ['derangement', 'official'];

/**
 * A uniformly random permutation of 0..n-1 other than the identity (the official code's `get_perm`:
 * `randperm`, redrawn while it is the identity); n must be >= 2. Fisher-Yates with `rng`.
 */
export function nonIdentityPermutation(n: number, rng: Random): Int32Array {
  const p = new Int32Array(n);
  for (;;) {
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const t = p[i] as number;
      p[i] = p[j] as number;
      p[j] = t;
    }
    for (let i = 0; i < n; i++) if (p[i] !== i) return p;
  }
}

/**
 * A uniformly random derangement of 0..n-1 (no fixed point), for choosing partners; n must be >= 2.
 * Rejection sampling of Fisher-Yates shuffles (expected ~e tries).
 */
export function derangement(n: number, rng: Random): Int32Array {
  const p = new Int32Array(n);
  for (;;) {
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(0, i);
      const t = p[i] as number;
      p[i] = p[j] as number;
      p[j] = t;
    }
    let fixed = false;
    for (let i = 0; i < n && !fixed; i++) fixed = p[i] === i;
    if (!fixed) return p;
  }
}
