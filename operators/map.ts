import { Observable, type OperatorFunction } from 'rxjs';
import { typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { carryIdentity } from './internal/carry-identity.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';

/** Options of {@link map}. */
export interface MapOptions {
  /**
   * What to do when `fn` throws (or returns something that cannot carry the sample's lineage): the
   * sample is skipped under reason `'map'` and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * Applies a synchronous function to every item, keeping the sample's identity: when `fn` returns a
 * new object its lineage is carried over (and `__key__`/`__url__` are copied onto a plain object
 * that lacks them), so the loader's accounting and backpressure keep working. Use it for cheap
 * per-sample work on the main thread; use `parallelMap` for async work and `workerMap` for
 * CPU-heavy JavaScript.
 *
 * An error thrown by `fn` becomes a `SampleError` (reason `'map'`, with the shard and key) that the
 * `handler` sees; the sample is counted as skipped. A Promise result is an error too (`map` is
 * synchronous), as is a primitive result for a sample that carries lineage (nothing could settle it).
 * Deterministic if `fn` is.
 *
 * @param fn `(item, index) => result`, called once per item in order.
 * @throws TypeError when `fn` is not a function or the handler is unknown.
 * @example
 * createLoader(fromShards('data/train-{000..009}.tar', { seed: 1 }), decode(), map((s) => ({ ...s, cls: Number(s.cls) })));
 * @see filter
 */
export function map<In, Out>(
  fn: (item: In, index: number) => Out,
  options: MapOptions = {},
): OperatorFunction<In, Out> {
  if (typeof fn !== 'function') throw typeError('create a map', 'fn must be a function', fn);
  const handler = resolveHandler(options.handler);
  return (source) =>
    new Observable<Out>((subscriber) => {
      let index = 0;
      return subscribeSource(source, subscriber, {
        next: (item) => {
          if (subscriber.closed) return;
          let out: Out;
          try {
            out = fn(item, index++);
            if (isThenable(out))
              throw new TypeError(
                'Cannot map a sample as the function must be synchronous: it returned a Promise (use parallelMap for async work)',
              );
            out = carryIdentity(item, out, 'map');
          } catch (error) {
            handleStageError(handler, error, item, 'map', subscriber);
            return;
          }
          subscriber.next(out);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
