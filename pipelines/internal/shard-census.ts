import { rangeError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import type { HandlerName } from '../../sources/handlers.js';
import { createLoader } from '../../sources/loader.js';

/** What {@link shardCensus} counted. */
export interface ShardCensus {
  /** Samples in one pass over the shards. */
  readonly samples: number;
  /**
   * Classes the labels span: the largest `cls` + 1, or null when a sample has no `cls` (or one that
   * is not a non-negative integer).
   */
  readonly classes: number | null;
  /** The first sample without a usable `cls`, for the messages; null when every sample has one. */
  readonly unlabelled: string | null;
}

/**
 * One pass over training shards, reading only the `cls` field of each sample (nothing is decoded):
 * the sample count (the official runs count their length in epochs, `500 epochs` being
 * `500 * floor(samples / (batch * D steps))` generator steps) and the classes the labels span, so a
 * class-conditional run is built for as many classes as its data has (10 for CIFAR-10 and Fashion-MNIST,
 * 100 for CIFAR-100) rather than a constant. Deterministic.
 *
 * @throws RangeError when the shards hold no sample; the loader's errors (missing shard, bad tar) as they are.
 */
export async function shardCensus(
  action: string,
  shards: string | readonly string[],
  options: { readonly handler?: HandlerName; readonly allowPipe?: boolean } = {},
): Promise<ShardCensus> {
  const source = fromShards(shards, {
    seed: 0,
    shuffle: 0,
    epochs: 1,
    ...(options.handler !== undefined ? { handler: options.handler } : {}),
    ...(options.allowPipe !== undefined ? { allowPipe: options.allowPipe } : {}),
  });
  let samples = 0;
  let largest = -1;
  let unlabelled: string | null = null;
  for await (const sample of createLoader<Record<string, unknown>>(source, []).iterate()) {
    samples++;
    const raw = sample['cls'];
    const text =
      raw instanceof Uint8Array
        ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')
        : typeof raw === 'number' || typeof raw === 'string'
          ? String(raw)
          : '';
    const label = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
    if (Number.isInteger(label)) largest = Math.max(largest, label);
    else unlabelled ??= String(sample['__key__']);
  }
  if (samples === 0) throw rangeError(action, 'the training shards must hold samples', 0);
  return { samples, classes: unlabelled === null ? largest + 1 : null, unlabelled };
}
