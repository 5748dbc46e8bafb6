import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { checkInteger, rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { holding, type HoldingOperatorFunction } from '../sources/loader.js';
import { carryIdentity } from './internal/carry-identity.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const PARALLEL_MAP_KEYS = optionKeys<ParallelMapOptions>({
  concurrency: true,
  ordered: true,
  reorderWindow: true,
  handler: true,
  maxQueued: true,
});

/**
 * The function {@link parallelMap} applies: the item, its 0-based index in this subscription, and
 * a signal that aborts when the subscription ends (pass it on to whatever can be cancelled).
 * It may return the result directly (handled at once, with no Promise) or a Promise of it.
 */
export type ParallelMapFn<T, R> = (item: T, index: number, signal: AbortSignal) => R | PromiseLike<R>;

/** Options of {@link parallelMap}. */
export interface ParallelMapOptions {
  /** Most calls of the function running at once (an integer >= 1). Required: every parallel stage states its bound. */
  readonly concurrency: number;
  /**
   * Emit results in input order (a result that finishes early waits for its turn). With `false`,
   * results are emitted as they finish.
   * @default true
   */
  readonly ordered?: boolean;
  /**
   * Ordered mode: most finished results that may wait for their turn while new calls keep running,
   * so one slow call does not idle the other slots. The stage holds at most
   * `concurrency + reorderWindow` items (running or waiting). 0 makes waiting results count against
   * `concurrency`.
   * @default concurrency
   */
  readonly reorderWindow?: number;
  /**
   * Error policy when the function throws or rejects: the error is wrapped as a `SampleError`
   * (reason `'map'`, or the reason of a `SampleError` the function threw), the item's samples are
   * settled as skipped, and the handler decides to rethrow, skip, or stop.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /**
   * Most inputs waiting for a free slot. Upstream is expected to be demand-driven (ndaflow's
   * source emits only with credit, so under `createLoader` this queue never passes the loader's
   * bound on samples in flight); an upstream that pushes more than this errors the stream with a
   * `RangeError` instead of growing without bound.
   * @default 65536
   */
  readonly maxQueued?: number;
}

const ACTION = 'create a parallelMap';

interface Queued<T> {
  readonly item: T;
  readonly index: number;
}

type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

interface Finished<T, R> {
  readonly item: T;
  readonly outcome: Outcome<R>;
}

function isThenable<R>(value: unknown): value is PromiseLike<R> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<R>).then === 'function'
  );
}

/**
 * A bounded parallel async map: applies `fn` to every item with at most `concurrency` calls
 * running at once, on the main thread (use it for I/O- or native-bound work such as sharp
 * decodes; JS-heavy work belongs on a worker pool). With `ordered` (the default) results keep the
 * input order; otherwise they come as they finish.
 *
 * Bounds: at most `concurrency` calls run, and at most `concurrency + reorderWindow` items are held
 * (running, or finished and waiting for their turn); the operator carries that as `ndaflowHolds` so
 * `createLoader` adds that much credit.
 * Inputs that arrive while every slot is busy wait in a queue, which a demand-driven upstream keeps
 * small (see `maxQueued`). Results that are new objects get the input's identity (its lineage,
 * and `__key__`/`__url__` on a plain object that lacks them), so the loader's accounting follows
 * them; a primitive result for an item that carries lineage is an error (reason `'map'`), since
 * nothing could settle its samples.
 *
 * Lifecycle: unsubscribing (or an error, or a handler's 'stop') aborts the signal given to `fn`,
 * drops queued inputs and pending results, starts no further call, and never emits again; calls
 * already running cannot be stopped and their results are discarded. An upstream error is passed
 * on at once; completion waits for the running calls.
 *
 * Deterministic: in ordered mode the output sequence (and which items an error handler skipped)
 * depends only on the inputs and `fn`, not on timing.
 *
 * @example
 * const loader = createLoader(fromShards('data/train-{000..003}.tar', { seed: 1 }),
 *   parallelMap(async (s) => ({ ...s, meta: await lookup(s.__key__) }), { concurrency: 8 }));
 * @throws RangeError/TypeError when `fn` is not a function or an option is invalid.
 * @see decode, which decodes with a parallelMap inside.
 */
export function parallelMap<T, R>(fn: ParallelMapFn<T, R>, options: ParallelMapOptions): HoldingOperatorFunction<T, R> {
  checkOptionKeys('parallelMap', options, PARALLEL_MAP_KEYS);
  if (typeof fn !== 'function') throw typeError(ACTION, 'fn must be a function', fn);
  if (typeof options !== 'object' || options === null)
    throw typeError(ACTION, 'options must be an object with a concurrency', options);
  const concurrency = checkInteger(ACTION, 'concurrency', options.concurrency, 1);
  if (concurrency === Infinity) throw rangeError(ACTION, 'concurrency must be finite', concurrency);
  const ordered = options.ordered ?? true;
  if (typeof ordered !== 'boolean') throw typeError(ACTION, 'ordered must be a boolean', ordered);
  const handler = resolveHandler(options.handler);
  const maxQueued = checkInteger(ACTION, 'maxQueued', options.maxQueued ?? 65_536, 0);
  const reorderWindow = ordered
    ? checkInteger(ACTION, 'reorderWindow', options.reorderWindow ?? concurrency, 0, 1 << 20)
    : 0;
  const maxHeld = concurrency + reorderWindow;

  const op: OperatorFunction<T, R> = (source) =>
    new Observable<R>((subscriber) => {
      const controller = new AbortController();
      // Waiting inputs: a FIFO as an array with a moving head (shift() would be O(n)).
      // Entries before `head` have been taken (cleared to release the item); those from `head` on wait.
      let queue: (Queued<T> | undefined)[] = [];
      let head = 0;
      let received = 0;
      let running = 0;
      /** Ordered mode: finished items by index, waiting for their turn. */
      const finished = new Map<number, Finished<T, R>>();
      let nextOut = 0;
      let sourceDone = false;
      let closed = false;
      let pumping = false;
      // eslint-disable-next-line prefer-const -- assigned once below, but close() above it reads it, and may run first
      let upstream: Subscription | undefined;

      const close = () => {
        if (closed) return;
        closed = true;
        controller.abort();
        queue = [];
        head = 0;
        finished.clear();
        upstream?.unsubscribe();
      };

      const fail = (item: T, error: unknown) => {
        if (handleStageError(handler, error, item, 'map', subscriber) === 'stop') close();
      };

      const deliver = (item: T, outcome: Outcome<R>) => {
        if (!outcome.ok) {
          fail(item, outcome.error);
          return;
        }
        let value: R;
        try {
          value = carryIdentity(item, outcome.value, 'parallelMap');
        } catch (error) {
          fail(item, error);
          return;
        }
        subscriber.next(value);
      };

      const finish = (item: T, index: number, outcome: Outcome<R>) => {
        running--;
        if (closed) return;
        if (!ordered) {
          deliver(item, outcome);
          return;
        }
        finished.set(index, { item, outcome });
        while (!closed) {
          const next = finished.get(nextOut);
          if (next === undefined) break;
          finished.delete(nextOut);
          nextOut++;
          deliver(next.item, next.outcome);
        }
      };

      const maybeComplete = () => {
        if (!closed && sourceDone && head === queue.length && running === 0 && finished.size === 0) {
          subscriber.complete();
          close();
        }
      };

      const pump = () => {
        if (pumping) return; // a call below re-entered (a synchronous result led to more input); the loop picks it up
        pumping = true;
        try {
          while (!closed && head < queue.length && running < concurrency && running + finished.size < maxHeld) {
            const next = queue[head];
            if (next === undefined) throw new Error('parallelMap: a queued input is missing (internal error)');
            const { item, index } = next;
            queue[head++] = undefined;
            if (head > 1024 && head * 2 > queue.length) {
              queue = queue.slice(head);
              head = 0;
            }
            running++;
            let result: R | PromiseLike<R>;
            try {
              result = fn(item, index, controller.signal);
            } catch (error) {
              finish(item, index, { ok: false, error });
              continue;
            }
            if (isThenable<R>(result)) {
              result.then(
                (value) => {
                  finish(item, index, { ok: true, value });
                  pump();
                },
                (error: unknown) => {
                  finish(item, index, { ok: false, error });
                  pump();
                },
              );
            } else {
              finish(item, index, { ok: true, value: result });
            }
          }
        } finally {
          pumping = false;
        }
        maybeComplete();
      };

      upstream = subscribeSource(source, subscriber, {
        next: (item) => {
          if (closed) return;
          if (queue.length - head >= maxQueued && (running >= concurrency || running + finished.size >= maxHeld)) {
            subscriber.error(
              rangeError(
                'queue an input for parallelMap',
                `at most maxQueued (${maxQueued}) inputs may wait: the upstream is not demand-driven (use createLoader, or raise maxQueued)`,
                queue.length - head + 1,
              ),
            );
            close();
            return;
          }
          queue.push({ item, index: received++ });
          pump();
        },
        error: (error: unknown) => {
          if (closed) return;
          subscriber.error(error);
          close();
        },
        complete: () => {
          sourceDone = true;
          pump();
        },
      });
      if (closed) upstream.unsubscribe();
      return close;
    });
  return holding(maxHeld, op, { name: 'parallelMap' });
}
