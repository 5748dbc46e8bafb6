import { Observable, type OperatorFunction } from 'rxjs';
import { typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { carryIdentity } from './internal/carry-identity.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const MAP_SAMPLES_KEYS = optionKeys<MapSamplesOptions>({ handler: true });

/** Options of {@link mapSamples}. */
export interface MapSamplesOptions {
  /**
   * What to do when `fn` throws (or returns something that cannot carry the sample's lineage): the
   * sample is skipped under reason `'map'` and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * What {@link mapSamples} emits for `fn`'s result `Out`: a plain object without `__key__`/`__url__`
 * gets the input sample's (the type adds them whenever the input has them and `Out` is an object
 * that is not an array; an object of a class keeps only its lineage at run time, so type such
 * results as arrays or give them their own keys).
 */
export type WithIdentity<In, Out> = Out extends readonly unknown[]
  ? Out
  : Out extends object
    ? In extends { __key__: infer K; __url__: infer U }
      ? Out extends { __key__: unknown; __url__: unknown }
        ? Out
        : Out & { __key__: K; __url__: U }
      : Out
    : Out;

/**
 * Applies a synchronous function to every item under an error policy, keeping the sample's
 * identity. What it adds to RxJS's `map` (which also works inside `createLoader`): a throw in `fn`
 * skips that sample (counted under reason `'map'`, with shard and key) as `handler` says, instead of
 * ending the stream; and the identity is carried: when `fn` returns a
 * new object its lineage is carried over (and `__key__`/`__url__` are copied onto a plain object
 * that lacks them), so the loader's accounting and backpressure keep working. Use it for cheap
 * per-sample work on the main thread; use `parallelMap` for async work and `workerMap` for
 * CPU-heavy JavaScript.
 *
 * An error thrown by `fn` becomes a `SampleError` (reason `'map'`, with the shard and key) that the
 * `handler` sees; the sample is counted as skipped. A Promise result is an error too (`mapSamples` is
 * synchronous), as is a primitive result for a sample that carries lineage (nothing could settle it).
 * Deterministic if `fn` is.
 *
 * @param fn `(item, index) => result`, called once per item in order.
 * @throws TypeError when `fn` is not a function or the handler is unknown.
 * @example
 * createLoader(fromShards('data/train-{000..009}.tar', { seed: 1 }), decode(),
 *   mapSamples((s) => ({ ...s, meta: parseMeta(s.txt) }), { handler: 'warnAndContinue' }));
 * @see filterSamples
 */
export function mapSamples<In, Out>(
  fn: (item: In, index: number) => Out,
  options?: MapSamplesOptions,
): OperatorFunction<In, WithIdentity<In, Out>>;
export function mapSamples<In, Out>(
  fn: (item: In, index: number) => Out,
  options: MapSamplesOptions = {},
): OperatorFunction<In, Out> {
  checkOptionKeys('mapSamples', options, MAP_SAMPLES_KEYS);
  if (typeof fn !== 'function') throw typeError('create mapSamples', 'fn must be a function', fn);
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
