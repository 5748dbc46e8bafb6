import type { OperatorFunction, Observable, Subscription } from 'rxjs';
import { checkInteger, typeError } from './errors.js';
import type { Accounting } from './ledger.js';
import type { LoaderState, MergedLoaderState } from './loader-state.js';
import type { ShardSource, SourceRun } from './from-shards.js';
import { declareHolding, declaredHolding, endDeclaration, StageTracker, type StageView } from './loader-stages.js';
import { StallWatch } from './loader-stall.js';
import { settleDelivered, type Lineage, type SampleIdentity } from './sample.js';
import { checkOptionKeys, optionKeys } from './option-keys.js';
import { fuseIntoBatches } from './loader-fusion.js';
import { processGcHeadroom } from './gc-headroom.js';

const LOADER_KEYS = optionKeys<LoaderOptions>({
  prefetch: true,
  holdLimit: true,
  stallMs: true,
  probeMs: true,
  gcHeadroomMb: true,
});

const HOLDING_KEYS = optionKeys<HoldingOptions>({ name: true });

export { LoaderStallError } from './loader-stall.js';
export type { StageView } from './loader-stages.js';

/** Metadata an operator may carry: how many samples it can hold while waiting for more input. */
export interface HoldsSamples {
  /** Samples this stage may keep before it emits (a batch of 64 holds 64, a shuffle buffer its size, a parallel map its concurrency). */
  readonly ndaflowHolds?: number;
}

/** Options of {@link holding}. */
export interface HoldingOptions {
  /** The stage's name in the loader's messages (`stage 2 of 3 (batch)`). @default the operator function's name */
  readonly name?: string;
}

/**
 * An operator that declares what it holds ({@link HoldsSamples}). An interface rather than
 * `OperatorFunction<T, R> & HoldsSamples`, because TypeScript infers the type arguments of a
 * generic operator (`batch<T>`) from its place in `createLoader(...)` through an interface, and not
 * through that intersection.
 */
export interface HoldingOperatorFunction<T, R> extends OperatorFunction<T, R>, HoldsSamples {}

/**
 * Declares that an operator may hold up to `holds` samples while it waits for more input (a buffer,
 * a window, async work in flight), so a loader sizes its credit to fit up front instead of finding
 * it out at a stall. The declaration reaches the loader through `pipe()` too: a loader applies each
 * stage once when it is created, and the outermost `holding` met inside a stage counts.
 * Returns a new operator (named `options.name`, else as `op`) carrying `ndaflowHolds`.
 *
 * @throws RangeError/TypeError unless `holds` is an integer >= 0.
 * @example
 * createLoader(source, decode(), holding(100, bufferCount(100)));
 */
export function holding<A, B>(
  holds: number,
  op: OperatorFunction<A, B>,
  options: HoldingOptions = {},
): HoldingOperatorFunction<A, B> {
  checkOptionKeys('holding', options, HOLDING_KEYS);
  checkInteger('declare what an operator holds', 'holds', holds, 0);
  const name = options.name ?? op.name;
  if (typeof name !== 'string') throw typeError('declare what an operator holds', 'name must be a string', name);
  const declared = (source: Observable<A>): Observable<B> => {
    const outermost = declareHolding(holds);
    try {
      return op(source);
    } finally {
      if (outermost) endDeclaration();
    }
  };
  Object.defineProperty(declared, 'name', { value: name });
  return Object.assign(declared, { ndaflowHolds: holds });
}

/** Options of {@link createLoader}. */
export interface LoaderOptions {
  /**
   * Samples allowed in flight beyond what the stages hold (read ahead while the consumer works).
   * @default the sum of what the stages hold, at least 64
   */
  readonly prefetch?: number;
  /**
   * Most samples the loader lets stages hold beyond its declared bound: stock RxJS operators that
   * hold without declaring it (`bufferCount(100)`, `groupBy`, `concatMap`'s queue), and samples a
   * stage dropped that the collector has not found yet. The loader grows its credit up to this when
   * it is stuck (the source out of credit, the consumer waiting, nothing collected), warning once per
   * stage (`NdaflowWarning` code `loader-undeclared-hold`) that `holding(n, op)` would size it up front.
   * @default 1024
   */
  readonly holdLimit?: number;
  /**
   * Milliseconds without progress (nothing delivered, nothing settled) before the loader names the
   * stage that holds the missing samples. It fails with a {@link LoaderStallError} when that stage
   * holds more than it declares, emitted nothing for this long, and either has all the credit the
   * loader may grow ({@link holdLimit}) or, the source having ended, never emitted at all (`toArray`
   * over a long stream, an operator that never emits); otherwise (a slow stage that emitted before,
   * or one within what it declares) it warns once (`NdaflowWarning` code `loader-stall`). @default 5000
   */
  readonly stallMs?: number;
  /**
   * Milliseconds the consumer waits, with the source out of credit and nothing arriving, before the
   * loader looks for dropped samples (one full garbage collection) and for stages that hold more
   * than they declare. @default 25
   */
  readonly probeMs?: number;
  /**
   * Megabytes of headroom V8's heap limit keeps for the memory a run attaches outside the JS heap
   * (pixels, tar reads), while the run goes on: without it a small-heap process runs a full garbage
   * collection about every batch (see `gc-headroom.ts`; the photo pipeline of `bench:loader` ran
   * 1.6-1.8x faster with it). Sets V8's process-wide `--heap-growing-percent` while any loader runs
   * (restored when the last one stops; never when node was started with that flag). 0 turns it off.
   * @default 64
   */
  readonly gcHeadroomMb?: number;
}

/** One pass over a loader: an async iterator of items with the run's state and accounting. */
export interface LoaderIteration<T> extends AsyncIterableIterator<T> {
  /** The state to resume from: everything handed out so far counts as delivered. */
  state(): LoaderState;
  /** `{seen, yielded, skipped, ...}` so far; final once the iteration ended. */
  accounting(): Accounting;
  /** Entries and bytes read from the tar shards so far. */
  readonly counters: { readonly entries: number; readonly bytes: number };
  /** Most samples in flight (the declared bound on what is read and not yet delivered, shuffle buffer excluded). */
  readonly maxInFlight: number;
  /** Credit grown so far beyond {@link maxInFlight} for stages that hold without declaring it (at most `holdLimit`). */
  readonly extraCredit: number;
  /** Per stage: position, name, declared holding, samples received, emitted and dropped so far. */
  stages(): readonly Readonly<StageView>[];
}

/**
 * One stage of a loader's chain as the loader runs it: an operator of any input and output type.
 * `createLoader`'s overloads check that each stage takes what the one before emits; an array of
 * stages built at run time (`createLoader<T>(source, stages)`) cannot say it, so its item type is
 * the one given.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: an array's element type cannot relate neighbouring stages
export type LoaderStage = OperatorFunction<any, any>;

/**
 * A source and its operators, run with demand-driven backpressure: the consumer pulls items
 * (`for await`), and the source reads only while the samples in flight stay under the loader's
 * bound (the stages' holdings plus `prefetch`). Handing an item to the consumer settles its
 * samples as delivered. Each iteration is a fresh run; `iterate({resumeFrom})` continues a saved one.
 * A `decode` followed directly by a collating `batch` is fused: the images are decoded straight into
 * the batch's memory (same items, order and accounting; see `releaseBatch` to reuse that memory).
 *
 * Stock RxJS operators keep these guarantees (see the README, "Guarantees per operator kind"):
 * the loader watches the boundary of every stage it is given, so it knows which stage has each
 * sample; a sample a stage drops without settling it (`filter`, `skip`, `distinct`) is found when
 * its lineage token is collected and counted as skipped under `dropped`; a stage that holds more
 * than it declares (`bufferCount(100)`, a `pipe()`) gets credit grown up to `holdLimit`; items that
 * are arrays or plain objects of samples (`bufferCount`, `pairwise`) carry their samples; a stream
 * that completes early (`take`) counts what was in flight as `stopped`. A loader that still cannot
 * progress fails within `stallMs` with a {@link LoaderStallError} naming the stage.
 *
 * @example
 * const loader = createLoader(fromShards('data/fmnist/train-{000..001}.tar', { seed: 1, shuffle: 500 }), decode(), batch(64));
 * const it = loader.iterate();
 * for await (const b of it) train(b.png, b.cls); // b.png: ImageBatch, b.cls: Float64Array
 * console.log(it.accounting());
 */
export function createLoader<S extends SampleIdentity>(source: ShardSource<S>): Loader<S>;
export function createLoader<S extends SampleIdentity, A>(
  source: ShardSource<S>,
  op1: OperatorFunction<S, A>,
): Loader<A>;
export function createLoader<S extends SampleIdentity, A, B>(
  source: ShardSource<S>,
  op1: OperatorFunction<S, A>,
  op2: OperatorFunction<A, B>,
): Loader<B>;
export function createLoader<S extends SampleIdentity, A, B, C>(
  source: ShardSource<S>,
  op1: OperatorFunction<S, A>,
  op2: OperatorFunction<A, B>,
  op3: OperatorFunction<B, C>,
): Loader<C>;
export function createLoader<S extends SampleIdentity, A, B, C, D>(
  source: ShardSource<S>,
  op1: OperatorFunction<S, A>,
  op2: OperatorFunction<A, B>,
  op3: OperatorFunction<B, C>,
  op4: OperatorFunction<C, D>,
): Loader<D>;
export function createLoader<S extends SampleIdentity, A, B, C, D, E>(
  source: ShardSource<S>,
  op1: OperatorFunction<S, A>,
  op2: OperatorFunction<A, B>,
  op3: OperatorFunction<B, C>,
  op4: OperatorFunction<C, D>,
  op5: OperatorFunction<D, E>,
): Loader<E>;
export function createLoader<S extends SampleIdentity, A, B, C, D, E, F>(
  source: ShardSource<S>,
  op1: OperatorFunction<S, A>,
  op2: OperatorFunction<A, B>,
  op3: OperatorFunction<B, C>,
  op4: OperatorFunction<C, D>,
  op5: OperatorFunction<D, E>,
  op6: OperatorFunction<E, F>,
): Loader<F>;
export function createLoader<S extends SampleIdentity, A, B, C, D, E, F, G>(
  source: ShardSource<S>,
  op1: OperatorFunction<S, A>,
  op2: OperatorFunction<A, B>,
  op3: OperatorFunction<B, C>,
  op4: OperatorFunction<C, D>,
  op5: OperatorFunction<D, E>,
  op6: OperatorFunction<E, F>,
  op7: OperatorFunction<F, G>,
): Loader<G>;
export function createLoader<S extends SampleIdentity, A, B, C, D, E, F, G, H>(
  source: ShardSource<S>,
  op1: OperatorFunction<S, A>,
  op2: OperatorFunction<A, B>,
  op3: OperatorFunction<B, C>,
  op4: OperatorFunction<C, D>,
  op5: OperatorFunction<D, E>,
  op6: OperatorFunction<E, F>,
  op7: OperatorFunction<F, G>,
  op8: OperatorFunction<G, H>,
): Loader<H>;
export function createLoader<S extends SampleIdentity, A, B, C, D, E, F, G, H, I>(
  source: ShardSource<S>,
  op1: OperatorFunction<S, A>,
  op2: OperatorFunction<A, B>,
  op3: OperatorFunction<B, C>,
  op4: OperatorFunction<C, D>,
  op5: OperatorFunction<D, E>,
  op6: OperatorFunction<E, F>,
  op7: OperatorFunction<F, G>,
  op8: OperatorFunction<G, H>,
  op9: OperatorFunction<H, I>,
): Loader<I>;
export function createLoader<S extends SampleIdentity, A, B, C, D, E, F, G, H, I>(
  source: ShardSource<S>,
  op1: OperatorFunction<S, A>,
  op2: OperatorFunction<A, B>,
  op3: OperatorFunction<B, C>,
  op4: OperatorFunction<C, D>,
  op5: OperatorFunction<D, E>,
  op6: OperatorFunction<E, F>,
  op7: OperatorFunction<F, G>,
  op8: OperatorFunction<G, H>,
  op9: OperatorFunction<H, I>,
  ...operators: readonly LoaderStage[]
): Loader<unknown>;
export function createLoader<T = unknown>(
  source: ShardSource<SampleIdentity>,
  operators: readonly LoaderStage[],
): Loader<T>;
export function createLoader(
  source: ShardSource<SampleIdentity>,
  ...operators: readonly (LoaderStage | readonly LoaderStage[])[]
): Loader<unknown> {
  return new Loader<unknown>(source, operators.flat(), {});
}

const ACTION = 'create a loader';

/** See {@link createLoader}. */
export class Loader<T> implements AsyncIterable<T> {
  /** The bound on samples in flight. */
  readonly maxInFlight: number;
  /** Samples each stage declares it holds (see {@link holding}), in stage order. */
  readonly declared: readonly number[];
  private readonly options: LoaderOptions;
  private readonly limits: { holdLimit: number; stallMs: number; probeMs: number };
  private readonly gcHeadroomMb: number;

  private readonly operators: readonly LoaderStage[];

  constructor(
    readonly source: ShardSource,
    operators: readonly LoaderStage[],
    options: LoaderOptions,
  ) {
    checkOptionKeys('Loader', options, LOADER_KEYS);
    operators.forEach((op, i) => {
      if (typeof op !== 'function')
        throw new TypeError(`Cannot ${ACTION} as stage ${i + 1} must be an operator function: it is ${typeof op}`);
    });
    // decode followed by batch writes its images straight into the batch's memory (see loader-fusion.ts)
    this.operators = fuseIntoBatches(operators);
    this.declared = this.operators.map((op) => declaredHolding(op as OperatorFunction<unknown, unknown>));
    const holds = this.declared.reduce((sum, n) => sum + n, 0);
    const prefetch =
      options.prefetch === undefined ? Math.max(64, holds) : checkInteger(ACTION, 'prefetch', options.prefetch, 1);
    this.maxInFlight = holds + prefetch;
    this.limits = {
      holdLimit: options.holdLimit === undefined ? 1024 : checkInteger(ACTION, 'holdLimit', options.holdLimit, 0),
      stallMs: options.stallMs === undefined ? 5000 : checkInteger(ACTION, 'stallMs', options.stallMs, 1),
      probeMs: options.probeMs === undefined ? 25 : checkInteger(ACTION, 'probeMs', options.probeMs, 1),
    };
    this.gcHeadroomMb =
      options.gcHeadroomMb === undefined ? 64 : checkInteger(ACTION, 'gcHeadroomMb', options.gcHeadroomMb, 0);
    this.options = options;
  }

  /** A loader with other options (merged over the current ones). */
  with(options: LoaderOptions): Loader<T> {
    return new Loader<T>(this.source, this.operators, { ...this.options, ...options });
  }

  [Symbol.asyncIterator](): LoaderIteration<T> {
    return this.iterate();
  }

  /** Starts a run (optionally from a saved state). */
  iterate(options: { readonly resumeFrom?: LoaderState | MergedLoaderState } = {}): LoaderIteration<T> {
    const run = this.source.open({ maxInFlight: this.maxInFlight, resumeFrom: options.resumeFrom });
    const tracker = new StageTracker(
      this.operators.map((op, i) => ({ name: op.name === 'op' ? '' : op.name, declared: this.declared[i] ?? 0 })),
    );
    run.ledger.watch((ticket) => tracker.dropped(ticket));
    const stages = this.operators.map((op, i) => tracker.instrument(i, op as OperatorFunction<unknown, unknown>));
    const stream = (run.samples as Observable<unknown>).pipe(...(stages as [OperatorFunction<unknown, unknown>]));
    const holdHeadroom = () => processGcHeadroom.hold(this.gcHeadroomMb);
    return iterateRun(run, stream as Observable<T>, tracker, this.maxInFlight, this.limits, holdHeadroom);
  }

  /** Runs to the end, calling `consume` on each item (awaited: a slow consumer slows the reads). */
  async run(consume: (item: T) => unknown): Promise<Accounting> {
    const it = this.iterate();
    for await (const item of it) await consume(item);
    return it.accounting();
  }
}

function iterateRun<T>(
  run: SourceRun,
  stream: Observable<T>,
  tracker: StageTracker,
  maxInFlight: number,
  limits: { holdLimit: number; stallMs: number; probeMs: number },
  holdHeadroom: () => () => void,
): LoaderIteration<T> {
  /** Items for the consumer, with the samples an item without lineage stands for (see StageTracker). */
  const queue: { item: T; via: readonly Lineage[] | undefined }[] = [];
  let head = 0;
  let done = false;
  let completed = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let subscription: Subscription | undefined;
  /** Releases the run's GC headroom (held from the subscription to the stop). */
  let releaseHeadroom: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const watch = new StallWatch(run.ledger, tracker, maxInFlight, limits, {
    fail: (error) => {
      if (done) return;
      failure = { error };
      done = true;
      notify();
    },
    consumerWaiting: () => wake !== undefined,
    sourceFinished: () => run.finished,
  });
  const start = () => {
    if (subscription || done) return;
    releaseHeadroom = holdHeadroom();
    subscription = stream.subscribe({
      next: (item) => {
        queue.push({ item, via: tracker.takeCarry() });
        watch.progress();
        notify();
      },
      error: (error: unknown) => {
        failure = { error };
        done = true;
        notify();
      },
      complete: () => {
        completed = true;
        done = true;
        notify();
      },
    });
  };
  const stop = () => {
    done = true;
    watch.close();
    subscription?.unsubscribe();
    subscription = undefined;
    releaseHeadroom?.();
    releaseHeadroom = undefined;
    // Samples still in flight when the stream completed: after the source's end, a stage dropped
    // them (not collected yet); before it (take, takeWhile), they were stopped, and a resumed run re-reads them.
    if (completed && run.ledger.unsettled > 0) run.ledger.settleRemaining(run.finished ? 'dropped' : 'stopped');
    completed = false;
    queue.length = 0;
    head = 0;
    notify();
  };
  const it: LoaderIteration<T> = {
    maxInFlight,
    get extraCredit() {
      return run.ledger.extraCredit;
    },
    counters: run.counters,
    state: () => run.state(),
    accounting: () => run.accounting(),
    stages: () => tracker.stages.map((s) => ({ ...s })),
    async next(): Promise<IteratorResult<T>> {
      start();
      for (;;) {
        if (head < queue.length) {
          const entry = queue[head] as (typeof queue)[number]; // head < length
          queue[head++] = undefined as unknown as (typeof queue)[number];
          if (head === queue.length || head > 1024) {
            queue.splice(0, head);
            head = 0;
          }
          settleDelivered(entry.item);
          if (entry.via) for (const l of entry.via) l.ledger.settleDelivered(l);
          return { value: entry.item, done: false };
        }
        if (failure) {
          const { error } = failure;
          failure = undefined;
          completed = false;
          stop();
          throw error;
        }
        if (done) {
          stop();
          return { value: undefined, done: true };
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          watch.waiting();
        });
      }
    },
    async return(): Promise<IteratorResult<T>> {
      completed = false;
      stop();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  // An iteration dropped without return() (iterated by hand, then abandoned) is stopped once it is
  // collected, releasing its ffmpeg processes, GC headroom and subscription. Nothing the run keeps
  // alive may refer to `it` (hence `this` above): its closures share one context with `it`'s methods.
  // A pending next() keeps `it` alive (its receiver), so a run is never stopped under a waiting caller.
  ABANDONED_RUNS.register(it, () => {
    completed = false;
    stop();
  });
  return it;
}

/** Stops the runs of iterations collected before they ended (see the end of iterateRun). */
const ABANDONED_RUNS = new FinalizationRegistry<() => void>((stopRun) => stopRun());
