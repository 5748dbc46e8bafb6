import type { OperatorFunction, Observable, Subscription } from 'rxjs';
import { checkInteger } from './errors.js';
import type { Accounting } from './ledger.js';
import type { LoaderState } from './loader-state.js';
import type { ShardSource, SourceRun } from './from-shards.js';
import { lineagesOf, settleDelivered, type Sample } from './sample.js';

/** Metadata an operator may carry: how many samples it can hold while waiting for more input. */
export interface HoldsSamples {
  /** Samples this stage may keep before it emits (a batch of 64 holds 64, a shuffle buffer its size, a parallel map its concurrency). */
  readonly ndaflowHolds?: number;
}

/**
 * Attaches {@link HoldsSamples} metadata to an operator, so a loader sizes its credit to fit.
 * @throws RangeError/TypeError unless `holds` is an integer >= 0.
 */
export function holding<A, B>(holds: number, op: OperatorFunction<A, B>): OperatorFunction<A, B> & HoldsSamples {
  checkInteger('declare what an operator holds', 'holds', holds, 0);
  return Object.assign(op, { ndaflowHolds: holds });
}

/** Options of {@link createLoader}. */
export interface LoaderOptions {
  /**
   * Samples allowed in flight beyond what the stages hold (read ahead while the consumer works).
   * @default the sum of what the stages hold, at least 64
   */
  readonly prefetch?: number;
  /**
   * Milliseconds the consumer may wait for an item, with the source out of credit, before the loader
   * warns (once, `NdaflowWarning` code `loader-stall`) that a stage seems to hold more samples than it
   * declares: the usual cause of a loader that stops (see {@link holding}). @default 30000
   */
  readonly stallWarningMs?: number;
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
}

/**
 * One stage of a loader's chain: an operator of any input and output type. The chain is an array,
 * whose element types cannot say that each stage takes what the one before emits, so its types are
 * not tracked across stages; the loader's item type is given as `createLoader<T>`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: typed overloads per chain length would replace it (STYLE.md, "Types flow")
export type LoaderStage = OperatorFunction<any, any>;

/**
 * A source and its operators, run with demand-driven backpressure: the consumer pulls items
 * (`for await`), and the source reads only while the samples in flight stay under the loader's
 * bound (the stages' holdings plus `prefetch`). Handing an item to the consumer settles its
 * samples as delivered. Each iteration is a fresh run; `iterate({resumeFrom})` continues a saved one.
 *
 * @example
 * const loader = createLoader(fromShards('data/fmnist/train-{000..001}.tar', { seed: 1, shuffle: 500 }), decode(), batch(64));
 * const it = loader.iterate();
 * for await (const b of it) train(b);
 * console.log(it.accounting());
 */
export function createLoader<T = Sample>(source: ShardSource, ...operators: readonly LoaderStage[]): Loader<T> {
  return new Loader<T>(source, operators, {});
}

/** See {@link createLoader}. */
export class Loader<T> implements AsyncIterable<T> {
  /** The bound on samples in flight. */
  readonly maxInFlight: number;
  private readonly stallWarningMs: number;
  private readonly options: LoaderOptions;

  constructor(
    readonly source: ShardSource,
    private readonly operators: readonly LoaderStage[],
    options: LoaderOptions,
  ) {
    const holds = operators.reduce((sum, op) => sum + ((op as HoldsSamples).ndaflowHolds ?? 0), 0);
    const prefetch =
      options.prefetch === undefined
        ? Math.max(64, holds)
        : checkInteger('create a loader', 'prefetch', options.prefetch, 1);
    this.maxInFlight = holds + prefetch;
    this.stallWarningMs =
      options.stallWarningMs === undefined
        ? 30_000
        : checkInteger('create a loader', 'stallWarningMs', options.stallWarningMs, 1);
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
  iterate(options: { readonly resumeFrom?: LoaderState } = {}): LoaderIteration<T> {
    const run = this.source.open({ maxInFlight: this.maxInFlight, resumeFrom: options.resumeFrom });
    const stream = (run.samples as Observable<unknown>).pipe(
      ...(this.operators as [OperatorFunction<unknown, unknown>]),
    ) as Observable<T>;
    return iterateRun(run, stream, this.maxInFlight, this.stallWarningMs);
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
  maxInFlight: number,
  stallWarningMs: number,
): LoaderIteration<T> {
  const queue: T[] = [];
  let head = 0;
  let done = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let subscription: Subscription | undefined;
  let warned = false;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const start = () => {
    if (subscription || done) return;
    subscription = stream.subscribe({
      next: (item) => {
        queue.push(item);
        notify();
      },
      error: (error: unknown) => {
        failure = { error };
        done = true;
        notify();
      },
      complete: () => {
        done = true;
        notify();
      },
    });
  };
  const stop = () => {
    done = true;
    subscription?.unsubscribe();
    subscription = undefined;
    queue.length = 0;
    head = 0;
    notify();
  };
  /** Waits for the pipeline; warns once if the source stays out of credit for long (a stage holding more than it declared). */
  const waitForItem = () =>
    new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        timer = setTimeout(() => {
          if (!run.ledger.waiting) {
            arm(); // the source is reading (slowly): keep watching
            return;
          }
          warned = true;
          process.emitWarning(
            `The loader has waited ${stallWarningMs} ms for an item while ${run.ledger.inFlight().length} samples are in flight (its bound is ${maxInFlight}): ` +
              'a stage may hold more samples than it declares (wrap it with holding(n, op)) or the loader prefetch is too small',
            { type: 'NdaflowWarning', code: 'loader-stall' },
          );
        }, stallWarningMs);
      };
      if (!warned) arm();
      wake = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  const it: LoaderIteration<T> = {
    maxInFlight,
    counters: run.counters,
    state: () => run.state(),
    accounting: () => run.accounting(),
    async next(): Promise<IteratorResult<T>> {
      start();
      for (;;) {
        if (head < queue.length) {
          const item = queue[head] as T;
          queue[head++] = undefined as T;
          if (head === queue.length || head > 1024) {
            queue.splice(0, head);
            head = 0;
          }
          if (lineagesOf(item).length === 0) {
            stop();
            throw new TypeError(
              "Cannot deliver an item as it lost its lineage (an operator built a new object): build items with {...sample}, or use ndaflow's map, which carries it",
            );
          }
          settleDelivered(item);
          return { value: item, done: false };
        }
        if (failure) {
          const { error } = failure;
          failure = undefined;
          stop();
          throw error;
        }
        if (done) {
          stop();
          return { value: undefined, done: true };
        }
        await waitForItem();
      }
    },
    async return(): Promise<IteratorResult<T>> {
      stop();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
