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

/**
 * The ledger's record of one sample in flight: its position (to re-read it on resume) and the stage
 * that last had it. Until the loader looks for dropped samples it also keeps the sample's lineage
 * token (a small object that does not reference the sample, so the sample's memory is not kept);
 * {@link Ledger.exposeToCollector} then hands the token to a FinalizationRegistry and lets go of
 * it, so that a dropped sample's token becomes garbage while its ticket lives on.
 */
export interface Ticket {
  readonly pass: number;
  readonly shard: number;
  readonly index: number;
  /** 1-based position of the loader stage that last received the sample; 0 before the first, stages + 1 once out of the last. */
  stage: number;
  /** The lineage token, until it is handed to the collector. */
  token: Lineage | undefined;
  /** True once the token is registered with the ledger's FinalizationRegistry. */
  registered: boolean;
}

/** Symbol under which a lineage token carries its {@link Ticket} (set by the ledger on emission). */
const TICKET: unique symbol = Symbol('ndaflow.ticket');

/** The ticket of a sample's lineage token in its ledger, or undefined (not emitted by a ledger, or from another one). */
export function ticketOf(lineage: Lineage): Ticket | undefined {
  return (lineage as { [TICKET]?: Ticket })[TICKET];
}

/** Reason under which the accounting counts samples a stage dropped without settling them (noticed when collected). */
export const DROPPED = 'dropped';
/** Reason under which samples still in flight when the stream completed early (`take`, `takeWhile`) are counted. */
export const STOPPED = 'stopped';

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
  /** Tickets of the samples in flight, in emission order (tickets, never tokens: see {@link Ticket}). */
  private readonly pending = new Set<Ticket>();
  /** Samples in flight when the stream completed early: counted as skipped (`stopped`), re-read on resume. */
  private stopped: Ticket[] = [];
  private waiters: (() => void)[] = [];
  private held: () => number = () => 0;
  private extra = 0;
  private settledCount = 0;
  private collectedCount = 0;
  private registry: FinalizationRegistry<Ticket> | undefined;
  private onDropped: ((ticket: Ticket) => void) | undefined;

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

  /**
   * Settles by reachability: once {@link exposeToCollector} has handed the tokens of the samples
   * in flight to a FinalizationRegistry, a sample whose token becomes garbage before it is settled
   * was dropped by a stage (a stock `filter`, `skip`, `distinct`...); it is counted as skipped
   * under {@link DROPPED} when the collector finds it, and `onDropped` learns which stage last had
   * it. The registry holds the ticket, never the token.
   */
  watch(onDropped: (ticket: Ticket) => void): void {
    this.onDropped = onDropped;
    this.registry ??= new FinalizationRegistry<Ticket>((ticket) => this.collected(ticket));
  }

  /**
   * Hands the tokens of the samples in flight to the collector (see {@link watch}) and lets go of
   * them. Done lazily, by a loader about to look for dropped samples, rather than per sample: a
   * registration and its removal cost ~1 µs per sample (measured, Node 20), as much as a tenth of
   * the whole per-image cost of the fastest pipeline (28 px PNG), while holding a token costs a
   * field. Returns how many were handed over.
   */
  exposeToCollector(): number {
    const registry = this.registry;
    if (!registry) return 0;
    let n = 0;
    for (const ticket of this.pending) {
      const token = ticket.token;
      if (token === undefined) continue;
      registry.register(token, ticket, token);
      ticket.token = undefined;
      ticket.registered = true;
      n++;
    }
    return n;
  }

  /** The source emitted a sample. */
  emitted(lineage: Lineage): void {
    const ticket: Ticket = {
      pass: lineage.pass,
      shard: lineage.shard,
      index: lineage.index,
      stage: 0,
      token: lineage,
      registered: false,
    };
    (lineage as { [TICKET]?: Ticket })[TICKET] = ticket;
    this.pending.add(ticket);
  }

  /** Settling is idempotent: a sample delivered twice (`pairwise`, overlapping windows) counts once. */
  settleDelivered(lineage: Lineage): void {
    if (!this.forget(lineage)) return;
    this.yielded++;
    this.wake();
  }

  settleSkipped(lineage: Lineage, reason: string, error?: unknown): void {
    if (!this.forget(lineage)) return;
    this.count(this.skipped, reason, error);
    this.wake();
  }

  /** A watched token was collected: its sample was dropped unsettled. */
  private collected(ticket: Ticket): void {
    if (!this.pending.delete(ticket)) return;
    this.settledCount++;
    this.collectedCount++;
    this.count(this.skipped, DROPPED, undefined);
    this.onDropped?.(ticket);
    this.wake();
  }

  private forget(lineage: Lineage): boolean {
    const ticket = ticketOf(lineage);
    if (ticket === undefined || !this.pending.delete(ticket)) return false;
    this.settledCount++;
    ticket.token = undefined;
    if (ticket.registered) this.registry?.unregister(lineage);
    return true;
  }

  /**
   * Settles every sample still in flight when the stream completed. `dropped`: the source had ended,
   * so a stage dropped them (the collector had not found them yet). `stopped`: the stream completed
   * early (`take`, `takeWhile`, an error handler's stop); they are counted as skipped under
   * {@link STOPPED} and stay in the saved state, so a resumed run re-reads them.
   */
  settleRemaining(reason: 'dropped' | 'stopped'): void {
    for (const ticket of this.pending) {
      ticket.token = undefined;
      this.count(this.skipped, reason, undefined);
      if (reason === STOPPED) this.stopped.push(ticket);
      else this.onDropped?.(ticket);
    }
    this.settledCount += this.pending.size;
    this.pending.clear();
    this.wake();
  }

  /** Samples emitted and not settled, in emission order (with those stopped, which a resumed run re-reads first). */
  inFlight(): readonly Ticket[] {
    return this.stopped.length === 0 ? [...this.pending] : [...this.stopped, ...this.pending];
  }

  /** Samples settled so far (delivered, skipped, dropped): a loader watches it for progress. */
  get settled(): number {
    return this.settledCount;
  }

  /** Samples found dropped by the collector so far (see {@link watch}). */
  get droppedFound(): number {
    return this.collectedCount;
  }

  /** Samples emitted and not settled. */
  get unsettled(): number {
    return this.pending.size;
  }

  /** Credit beyond {@link maxInFlight} (grown by a loader for stages that hold samples they do not declare). */
  get extraCredit(): number {
    return this.extra;
  }

  /** Sets the credit beyond {@link maxInFlight} and wakes the source if that frees credit. */
  setExtraCredit(extra: number): void {
    this.extra = extra;
    this.wake();
  }

  /** The tickets of the samples in flight (for a loader's view of which stage has them). */
  tickets(): IterableIterator<Ticket> {
    return this.pending.values();
  }

  /** True while the source may emit another sample. */
  hasCredit(): boolean {
    return this.pending.size < this.maxInFlight + this.extra;
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

  /**
   * Counters for a saved state. Samples in flight or buffered are re-read on resume, so they are not
   * counted as seen (`notYetSettled` includes the stopped ones, which are not counted as skipped either).
   */
  state(notYetSettled: number): AccountingState {
    const skipped = { ...this.skipped };
    if (this.stopped.length > 0) {
      const left = (skipped[STOPPED] ?? 0) - this.stopped.length;
      if (left > 0) skipped[STOPPED] = left;
      else delete skipped[STOPPED];
    }
    return {
      seen: this.seen - notYetSettled,
      yielded: this.yielded,
      skipped,
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
