import { checkInteger, rangeError } from './errors.js';
import { Random } from './random.js';

/** How shards are ordered and split for one pass over them. */
export interface ShardPlanOptions {
  /** Seed of the run. */
  readonly seed: number;
  /** Shuffle the shard order each pass (derived from seed and pass). @default true */
  readonly shuffleShards?: boolean;
  /** Draw shards with replacement (each pass draws as many as there are shards, from all of them). @default false */
  readonly resampled?: boolean;
  /**
   * Give every slot the same number of shards, `ceil(shards / slots)`, by wrapping around (so a
   * slot with fewer shards re-reads some, and with fewer shards than slots each still gets one). @default false
   */
  readonly equalLength?: boolean;
  /** This process's rank. @default 0 */
  readonly rank?: number;
  /** Number of ranks. @default 1 */
  readonly worldSize?: number;
  /** This worker's index inside the rank. @default 0 */
  readonly worker?: number;
  /** Workers per rank. @default 1 */
  readonly numWorkers?: number;
}

/**
 * The shards one process (rank) and worker reads in one pass, in order. Shards are split by slot
 * `rank * numWorkers + worker` after the seeded shuffle (every slot shuffles the same way, so the
 * split is a partition). With `resampled`, each slot draws its own shards with replacement from
 * (seed, pass, rank, worker). Deterministic given the seed. Throws a `RangeError` when a slot would
 * get no shard, unless `resampled` or `equalLength` is chosen, or for out-of-range ranks and workers.
 */
export function planShards(urls: readonly string[], pass: number, options: ShardPlanOptions): string[] {
  return planShardIndices(urls.length, pass, options).map((i) => urls[i]!);
}

/**
 * {@link planShards} as indices into the shard list: the same plan, given only the number of shards
 * (a saved loader state names shards this way, so that states of other ranks can be merged without
 * the list). Same options, same throws.
 */
export function planShardIndices(count: number, pass: number, options: ShardPlanOptions): number[] {
  const action = 'plan the shards of a pass';
  if (count === 0) throw rangeError(action, 'there must be at least one shard', count);
  const worldSize = checkInteger(action, 'worldSize', options.worldSize ?? 1, 1);
  const rank = checkInteger(action, 'rank', options.rank ?? 0, 0, worldSize - 1);
  const numWorkers = checkInteger(action, 'numWorkers', options.numWorkers ?? 1, 1);
  const worker = checkInteger(action, 'worker', options.worker ?? 0, 0, numWorkers - 1);
  const slots = worldSize * numWorkers;
  const slot = rank * numWorkers + worker;
  if (options.resampled) {
    const rng = Random.derive(options.seed, 'resample', pass, rank, worker);
    return Array.from({ length: count }, () => rng.int(0, count - 1));
  }
  const order = Array.from({ length: count }, (_, i) => i);
  if (options.shuffleShards ?? true) Random.derive(options.seed, 'shards', pass).shuffle(order);
  if (options.equalLength) {
    // every slot reads the same number of shards, ceil(n / slots): the short slots wrap around
    const perSlot = Math.ceil(order.length / slots);
    const mine: number[] = [];
    for (let i = 0; i < perSlot; i++) mine.push(order[(slot + i * slots) % order.length]!);
    return mine;
  }
  const mine = order.filter((_, i) => i % slots === slot);
  if (mine.length === 0) {
    throw rangeError(
      `split ${count} shard(s) over ${worldSize} rank(s) x ${numWorkers} worker(s)`,
      `rank ${rank} worker ${worker} would get no shard (use more shards, resampled: true or equalLength: true)`,
      count,
    );
  }
  return mine;
}
