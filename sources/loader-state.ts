import type { AccountingState } from './ledger.js';

/** A sample position in a saved state: [pass, shard, index] (shard: its place in the rank's plan of that pass). */
export type SavedPosition = readonly [number, number, number];

/** Where a saved run sat in its job: what a merge needs to know which shards it had. */
export interface SavedLayout {
  readonly rank: number;
  readonly worldSize: number;
  readonly worker: number;
  readonly numWorkers: number;
  /** Number of shards in the expanded spec. */
  readonly shards: number;
  /** Whether the shard order was shuffled every pass. */
  readonly shuffleShards: boolean;
  /** Epochs of the run (null: endless). */
  readonly epochs: number | null;
  /** Hash of the shard list and the options that decide the order, without the rank and worker. */
  readonly fingerprint: string;
}

/**
 * The small JSON state of a running loader. A new loader given it continues exactly where the old
 * one stopped: the samples it had emitted but not delivered come first, in order, then the shuffle
 * buffer resumes with the same items and generator, then reading resumes at the cursor. States of
 * every rank of a job can be merged ({@link mergeLoaderStates}) to resume with another number of ranks.
 */
export interface LoaderState {
  readonly version: 1;
  /** Hash of the shard list and the options that decide the order; a mismatch refuses to resume. */
  readonly fingerprint: string;
  readonly seed: number;
  readonly epoch: number;
  /** Samples emitted in the current epoch (with `samplesPerEpoch`). */
  readonly epochCount: number;
  /** Next sample to read. */
  readonly cursor: SavedPosition;
  /** Emitted by the source and not yet delivered nor skipped, in emission order. */
  readonly pending: readonly SavedPosition[];
  /** The shuffle buffer: items in buffer order, generator state, items given out in this epoch. */
  readonly shuffle: {
    readonly items: readonly SavedPosition[];
    readonly rng: readonly number[];
    readonly taken: number;
  } | null;
  readonly accounting: AccountingState;
  /** The rank, worker and plan of the run (absent in states saved before ndaflow could merge them). */
  readonly layout?: SavedLayout;
  /** The merged state this run was resumed from, while some of its passes are still read by its plan. */
  readonly resumedFrom?: MergedLoaderState;
}

/**
 * One shard to read in a resumed pass: `[shard, from]`, the shard's index in the expanded spec and
 * the first sample index to read; `from` -1 reads nothing in order (the shard only holds samples
 * given to this rank one by one).
 */
export type ShardTask = readonly [number, number];

/** What no rank of a stopped job had delivered in one pass. */
export interface PassRemainder {
  readonly pass: number;
  /** Shards, or tails of shards, no rank had read, in a deterministic order. */
  readonly shards: readonly ShardTask[];
  /** Samples read and not delivered (in flight or in shuffle buffers): `[shard, index]`. */
  readonly samples: readonly (readonly [number, number])[];
}

/**
 * The states of every rank of a job merged into one, to resume with any number of ranks (see
 * {@link mergeLoaderStates}): the samples not delivered, per pass, and the summed accounting.
 */
export interface MergedLoaderState {
  readonly version: 1;
  readonly kind: 'merged';
  /** The layout-independent fingerprint of the runs merged. */
  readonly fingerprint: string;
  readonly seed: number;
  /** Number of shards in the expanded spec. */
  readonly shards: number;
  /** The ranks x workers the merged states came from. */
  readonly from: { readonly worldSize: number; readonly numWorkers: number };
  /** The passes with something left, in order; passes after the last are untouched. */
  readonly passes: readonly PassRemainder[];
  /** The first pass not yet finished (passes before it are done everywhere). */
  readonly nextPass: number;
  /** The accounting of all merged runs, summed (a resumed job's rank 0 continues from it). */
  readonly accounting: AccountingState;
}
