import { SampleError } from './errors.js';
import type { LedgerLike, Lineage } from './sample.js';

/** One recorded error: what happened, where. */
export interface ErrorRecord {
  readonly reason: string;
  readonly message: string;
  readonly url?: string;
  readonly key?: string;
  readonly field?: string;
}

/**
 * The accounting of a run: every sample read is `seen`; it ends `yielded` (delivered to the
 * consumer) or `skipped` under a reason. `inFlight` are samples emitted by the source and still
 * inside the pipeline, `buffered` those read but still in the source (its shuffle buffer); `lost`
 * is `seen - yielded - skipped - inFlight - buffered`, which must be 0 (a non-zero value means an
 * operator dropped items without settling them). Shard-level errors (a shard that cannot be opened or is cut
 * short) are counted in `shardErrors`; the first few errors are kept with their shard, key and field.
 */
export interface Accounting {
  seen: number;
  yielded: number;
  skipped: Record<string, number>;
  shardErrors: Record<string, number>;
  errors: ErrorRecord[];
  inFlight: number;
  buffered: number;
  lost: number;
}

/** The serialisable counters a resumed run continues from. */
export interface AccountingState {
  readonly seen: number;
  readonly yielded: number;
  readonly skipped: Readonly<Record<string, number>>;
  readonly shardErrors: Readonly<Record<string, number>>;
  readonly errors: readonly ErrorRecord[];
}

function record(error: unknown, reason: string): ErrorRecord {
  if (error instanceof SampleError) {
    return { reason, message: error.message, url: error.url, key: error.key, field: error.field };
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown non-Error is recorded as it stringifies
  return { reason, message: error instanceof Error ? error.message : String(error ?? reason) };
}

/**
 * One run's ledger: the accounting, the samples in flight (emitted by the source, not yet settled,
 * in emission order) and the credit that bounds them. The source waits for credit before it emits;
 * settling a sample returns its credit.
 */
export class Ledger implements LedgerLike {
  private seen: number;
  private yielded: number;
  private readonly skipped: Record<string, number>;
  private readonly shardErrors: Record<string, number>;
  private readonly errors: ErrorRecord[];
  private readonly pending = new Set<Lineage>();
  private waiters: (() => void)[] = [];
  private held: () => number = () => 0;

  constructor(
    /** Most samples emitted and not yet settled. */
    readonly maxInFlight: number,
    /** How many errors are kept with their details. */
    private readonly keepErrors = 10,
    initial?: AccountingState,
  ) {
    this.seen = initial?.seen ?? 0;
    this.yielded = initial?.yielded ?? 0;
    this.skipped = { ...(initial?.skipped ?? {}) };
    this.shardErrors = { ...(initial?.shardErrors ?? {}) };
    this.errors = [...(initial?.errors ?? [])];
  }

  /** Tells the ledger how many samples the source holds, read and not yet emitted (for {@link accounting}). */
  trackHeld(held: () => number): void {
    this.held = held;
  }

  /** A sample was read from a shard (it will be emitted, or skipped at the source). */
  read(): void {
    this.seen++;
  }

  /**
   * Samples read but never emitted because the run ended first (left in the source's shuffle buffer
   * when the last `withEpoch` epoch was full): they did not enter the pipeline, so they are not seen.
   */
  unread(n: number): void {
    this.seen -= n;
  }

  /** A sample read from a shard could not be made (duplicate field, cut short): counted as skipped. */
  skippedAtSource(reason: string, error: unknown): void {
    this.count(this.skipped, reason, error);
  }

  /** A shard-level error: the shard could not be opened or read to its end. */
  shardError(reason: string, error: unknown): void {
    this.count(this.shardErrors, reason, error);
  }

  /** The source emitted a sample. */
  emitted(lineage: Lineage): void {
    this.pending.add(lineage);
  }

  settleDelivered(lineage: Lineage): void {
    if (!this.pending.delete(lineage)) return;
    this.yielded++;
    this.wake();
  }

  settleSkipped(lineage: Lineage, reason: string, error?: unknown): void {
    if (!this.pending.delete(lineage)) return;
    this.count(this.skipped, reason, error);
    this.wake();
  }

  /** Samples emitted and not settled, in emission order. */
  inFlight(): readonly Lineage[] {
    return [...this.pending];
  }

  /** True while the source may emit another sample. */
  hasCredit(): boolean {
    return this.pending.size < this.maxInFlight;
  }

  /** Resolves when the source may emit (or when {@link wake} is called, e.g. on teardown). */
  waitForCredit(): Promise<void> {
    if (this.hasCredit()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
    });
  }

  /** True while something waits for credit. */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /** Wakes a source waiting for credit. */
  wake(): void {
    if (this.waiters.length > 0 && this.hasCredit()) this.release();
  }

  /** Releases a waiting source unconditionally (teardown). */
  release(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  accounting(): Accounting {
    const skippedTotal = Object.values(this.skipped).reduce((a, b) => a + b, 0);
    const inFlight = this.pending.size;
    const buffered = this.held();
    return {
      seen: this.seen,
      yielded: this.yielded,
      skipped: { ...this.skipped },
      shardErrors: { ...this.shardErrors },
      errors: [...this.errors],
      inFlight,
      buffered,
      lost: this.seen - this.yielded - skippedTotal - inFlight - buffered,
    };
  }

  /** Counters for a saved state. Samples in flight or buffered are re-read on resume, so they are not counted as seen. */
  state(notYetSettled: number): AccountingState {
    return {
      seen: this.seen - notYetSettled,
      yielded: this.yielded,
      skipped: { ...this.skipped },
      shardErrors: { ...this.shardErrors },
      errors: [...this.errors],
    };
  }

  private count(bucket: Record<string, number>, reason: string, error: unknown): void {
    bucket[reason] = (bucket[reason] ?? 0) + 1;
    // Only real errors are kept in detail: a filter's or a partial batch's drops are counted, not listed.
    if (error !== undefined && this.errors.length < this.keepErrors) this.errors.push(record(error, reason));
  }
}
