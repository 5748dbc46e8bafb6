import { collectGarbage } from './collect-garbage.js';
import type { Ledger } from './ledger.js';
import { describeStage, type StageTracker, type StageView } from './loader-stages.js';

/**
 * A loader that cannot make progress: a stage holds the samples the source needs credit for, and
 * nothing has been delivered or settled for `stallMs`. Names the stage (position and name) and
 * what it received, emitted and holds.
 */
export class LoaderStallError extends Error {
  override readonly name = 'LoaderStallError';
  readonly code = 'loader-stall';
  constructor(
    message: string,
    /** The stage that holds the missing samples. */
    readonly stage: Readonly<StageView>,
    /** Samples it holds. */
    readonly holds: number,
  ) {
    super(message);
  }
}

interface Limits {
  readonly holdLimit: number;
  readonly stallMs: number;
  readonly probeMs: number;
}

interface Hooks {
  /** Ends the run with this error. */
  fail(error: LoaderStallError): void;
  /** True while the consumer waits for an item. */
  consumerWaiting(): boolean;
  /** True once the source has read everything. */
  sourceFinished(): boolean;
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The loader's watch over a run, active only while the consumer waits for an item and nothing
 * arrives. After `probeMs` with the source out of credit it runs one full collection, so that
 * samples a stage dropped are settled (`dropped`) and their credit returns; if none were, it counts
 * the samples each stage has (their tickets say where), grows the credit (up to `holdLimit`) for
 * stages that hold more than they declare, warning once per stage; and when nothing has moved for
 * `stallMs` it fails, naming the stage, or, every stage being within what it declares (slow work,
 * not a leak), warns once. Fruitless probes back off (doubling, at most `stallMs / 4`), so a long
 * wait costs a collection a second or so; the back-off survives the items that arrive between
 * waits (only a probe that finds drops or grows the credit starts again from `probeMs`), so a slow
 * stage that never drops anything (one ffmpeg per video, ~30-50 ms each) does not pay a full
 * collection per item: measured before this rule, 237 forced collections for 200 videos, each
 * 18-150 ms on the loaded 2-core machine. Deterministic in what it settles; only when depends on time.
 */
export class StallWatch {
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private lastProgress = performance.now();
  private lastSettled = 0;
  private closed = false;
  private probing = false;
  /** Per stage, its emitted count at the last look that saw it change, and when. */
  private readonly emittedSeen: ({ emitted: number; at: number } | undefined)[] = [];
  private readonly warned = new Set<number>();
  private warnedSlow = false;

  /**
   * How long a stage that holds more than it declares must stay silent before the loader grows its
   * credit: a tenth of `stallMs` (500 ms by default), at least `probeMs`. Without it a slow stage
   * that had not emitted yet looked the same as one that cannot emit (bench:video's decodeClips
   * got a `loader-undeclared-hold` warning while its first ffmpeg processes started).
   */
  private readonly starvingAfterMs: number;

  constructor(
    private readonly ledger: Ledger,
    private readonly tracker: StageTracker,
    private readonly maxInFlight: number,
    private readonly limits: Limits,
    private readonly hooks: Hooks,
  ) {
    this.delay = limits.probeMs;
    this.starvingAfterMs = Math.max(limits.probeMs, limits.stallMs / 10);
  }

  /** An item reached the consumer's queue (the probe delay keeps its back-off: see the class comment). */
  progress(): void {
    this.lastProgress = performance.now();
  }

  /** The consumer started waiting: probe after a while unless something arrives. */
  waiting(): void {
    if (this.timer === undefined && !this.probing && !this.closed)
      this.timer = setTimeout(() => void this.probe(), this.delay);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private rearm(): void {
    this.timer = undefined;
    if (this.closed || !this.hooks.consumerWaiting()) return;
    this.timer = setTimeout(() => void this.probe(), this.delay);
  }

  private async probe(): Promise<void> {
    this.timer = undefined;
    if (this.probing) return;
    this.probing = true;
    try {
      await this.look();
    } finally {
      this.probing = false;
    }
    this.rearm();
  }

  /** One look: collect, then grow, fail or warn. */
  private async look(): Promise<void> {
    if (this.closed || !this.hooks.consumerWaiting()) return;
    if (this.ledger.settled !== this.lastSettled) {
      this.lastSettled = this.ledger.settled;
      this.progress();
    }
    const finished = this.hooks.sourceFinished();
    if (!this.ledger.waiting && !finished) {
      return; // the source is reading (slowly): not a stall
    }
    const before = this.ledger.droppedFound;
    this.ledger.exposeToCollector();
    if (collectGarbage()) {
      await immediate();
      await immediate();
    }
    if (this.closed) return;
    const found = this.ledger.droppedFound - before;
    if (found > 0) {
      // a stage drops samples: more room for drops not yet collected means fewer collections
      const extra = this.ledger.extraCredit;
      this.ledger.setExtraCredit(Math.min(this.limits.holdLimit, Math.max(extra * 2, found)));
      this.lastSettled = this.ledger.settled;
      this.progress();
      this.delay = this.limits.probeMs;
      return;
    }
    const holds = this.holdings();
    const now = performance.now();
    let worst: { stage: StageView; holds: number; excess: number } | undefined;
    let starving = 0;
    for (const stage of this.tracker.stages) {
      const h = holds[stage.position] ?? 0;
      const over = h - stage.declared;
      const seen = this.emittedSeen[stage.position - 1];
      const quiet = seen !== undefined && seen.emitted === stage.emitted;
      if (!quiet) this.emittedSeen[stage.position - 1] = { emitted: stage.emitted, at: now };
      // a stage that emitted since the last look, or within the grace period, is slow, not starving:
      // more credit would only queue more (one ffmpeg per video takes 100-200 ms before its first clip)
      if (over > 0 && quiet && now - seen.at >= this.starvingAfterMs) starving += over;
      if (h > 0 && (worst === undefined || over > worst.excess)) worst = { stage, holds: h, excess: over };
    }
    const extra = this.ledger.extraCredit;
    if (starving > 0 && extra < this.limits.holdLimit && !finished) {
      const grown = Math.min(this.limits.holdLimit, Math.max(extra * 2, extra + starving));
      this.ledger.setExtraCredit(grown);
      for (const stage of this.tracker.stages) {
        const h = holds[stage.position] ?? 0;
        if (h > stage.declared && !this.warned.has(stage.position)) {
          this.warned.add(stage.position);
          process.emitWarning(
            `${describeStage(stage, this.tracker.stages.length)} holds ${h} samples and declares ${stage.declared}: ` +
              `the loader grew its credit to ${this.maxInFlight + grown} (at most ${this.maxInFlight} + holdLimit ${this.limits.holdLimit}). ` +
              `Declare what it holds with holding(n, op) to size the bound up front`,
            { type: 'NdaflowWarning', code: 'loader-undeclared-hold' },
          );
        }
      }
      this.delay = this.limits.probeMs;
      return;
    }
    const idle = now - this.lastProgress;
    if (idle >= this.limits.stallMs && worst !== undefined) {
      const count = this.tracker.stages.length;
      const where = describeStage(worst.stage, count);
      const numbers = `it received ${worst.stage.received} samples, emitted ${worst.stage.emitted} and holds ${worst.holds} (declared ${worst.stage.declared})`;
      const silentFor = now - (this.emittedSeen[worst.stage.position - 1]?.at ?? now);
      // Stuck, not slow: beyond its declaration, silent for stallMs, and either given all the credit
      // the loader may grow or, the source having ended, never emitted anything.
      const stuck =
        worst.excess > 0 &&
        silentFor >= this.limits.stallMs &&
        (finished ? worst.stage.emitted === 0 : extra >= this.limits.holdLimit);
      if (stuck) {
        this.hooks.fail(
          new LoaderStallError(
            `Cannot make progress as ${where} holds the samples the source needs credit for: ${numbers}, and nothing moved for ${Math.round(idle)} ms ` +
              `with the credit at ${this.maxInFlight} + ${extra} (holdLimit ${this.limits.holdLimit})${finished ? ', after the source ended' : ''}. ` +
              'A stage that keeps every sample (toArray, reduce, a buffer longer than the stream, an operator that never emits) cannot stream: bound it (bufferCount(n), take(n)); ' +
              'one that needs n samples to emit: declare it with holding(n, op) or raise the loader option holdLimit',
            worst.stage,
            worst.holds,
          ),
        );
        return;
      }
      if (!this.warnedSlow) {
        this.warnedSlow = true;
        process.emitWarning(
          `The loader has waited ${Math.round(idle)} ms for an item: ${where} has ${worst.holds} samples in flight (${numbers}). ` +
            'It is slow (it emitted before), or waits for something that does not come (a promise that never settles)',
          { type: 'NdaflowWarning', code: 'loader-stall' },
        );
      }
    }
    this.delay = Math.min(this.delay * 2, Math.max(this.limits.probeMs, this.limits.stallMs / 4));
  }

  /** Samples in flight per stage position (from their tickets). */
  private holdings(): number[] {
    const holds: number[] = [];
    for (const ticket of this.ledger.tickets()) holds[ticket.stage] = (holds[ticket.stage] ?? 0) + 1;
    return holds;
  }
}
