import type { AccountingState } from './ledger.js';

/** A sample position in a saved state: [pass, shard, index]. */
export type SavedPosition = readonly [number, number, number];

/**
 * The small JSON state of a running loader. A new loader given it continues exactly where the old
 * one stopped: the samples it had emitted but not delivered come first, in order, then the shuffle
 * buffer resumes with the same items and generator, then reading resumes at the cursor.
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
}
