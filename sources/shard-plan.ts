import { rangeError } from './errors.js';
import { Random } from './random.js';

/** How shards are ordered and split for one pass over them. */
export interface ShardPlanOptions {
  /** Seed of the run. */
  readonly seed: number;
  /** Shuffle the shard order each pass (derived from seed and pass). @default true */
  readonly shuffleShards?: boolean;
  /** Draw shards with replacement (each pass draws as many as there are shards, from all of them). @default false */
  readonly resampled?: boolean;
  /** Give every slot at least one shard by wrapping around when there are fewer shards than slots. @default false */
  readonly equalLength?: boolean;
  readonly rank?: number;
  readonly worldSize?: number;
  readonly worker?: number;
  readonly numWorkers?: number;
}

/**
 * The shards one process (rank) and worker reads in one pass, in order. Shards are split by slot
 * `rank * numWorkers + worker` after the seeded shuffle (every slot shuffles the same way, so the
 * split is a partition). Throws a `RangeError` when a slot would get no shard, unless `resampled`
 * or `equalLength` is chosen.
 */
export function planShards(urls: readonly string[], pass: number, options: ShardPlanOptions): string[] {
  const rank = options.rank ?? 0;
  const worldSize = options.worldSize ?? 1;
  const worker = options.worker ?? 0;
  const numWorkers = options.numWorkers ?? 1;
  const slots = worldSize * numWorkers;
  const slot = rank * numWorkers + worker;
  if (options.resampled) {
    const rng = Random.derive(options.seed, 'resample', pass, rank, worker);
    return urls.map(() => urls[rng.int(0, urls.length - 1)] as string);
  }
  const order = [...urls];
  if (options.shuffleShards ?? true) Random.derive(options.seed, 'shards', pass).shuffle(order);
  if (order.length < slots && options.equalLength) {
    const mine: string[] = [];
    const perSlot = Math.ceil(order.length / slots) || 1;
    for (let i = 0; i < perSlot; i++) mine.push(order[(slot + i * slots) % order.length] as string);
    return mine;
  }
  const mine = order.filter((_, i) => i % slots === slot);
  if (mine.length === 0) {
    throw rangeError(
      `split ${urls.length} shard(s) over ${worldSize} rank(s) x ${numWorkers} worker(s)`,
      `rank ${rank} worker ${worker} would get no shard (use more shards, resampled: true or equalLength: true)`,
      urls.length,
    );
  }
  return mine;
}
