import { Observable, type MonoTypeOperatorFunction, type OperatorFunction } from 'rxjs';
import { typeError, rangeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { settleSkipped } from '../sources/sample.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';

/** Options of {@link filter}. */
export interface FilterOptions {
  /**
   * The reason under which dropped samples are counted in the run's accounting
   * (`accounting().skipped[reason]`). Give each filter its own reason to tell them apart.
   * @default 'filtered'
   */
  readonly reason?: string;
  /**
   * What to do when the predicate throws: the sample is skipped under reason `'filter'` and
   * counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * Keeps the items for which `predicate` returns true. Dropped samples are not lost silently: each
 * is settled as skipped under `reason`, so the loader's accounting counts it and its credit is
 * returned. Use it to drop unwanted classes, tiny images, corrupt metadata.
 * Deterministic if the predicate is.
 *
 * @param predicate `(item, index) => boolean`, called once per item in order.
 * @throws TypeError when `predicate` is not a function or `reason` is not a non-empty string.
 * @example
 * createLoader(source, decode(), filter((s) => s.cls !== 9, { reason: 'class-9' }));
 * @see map
 */
export function filter<T, S extends T>(
  predicate: (item: T, index: number) => item is S,
  options?: FilterOptions,
): OperatorFunction<T, S>;
export function filter<T>(
  predicate: (item: T, index: number) => boolean,
  options?: FilterOptions,
): MonoTypeOperatorFunction<T>;
export function filter<T>(
  predicate: (item: T, index: number) => boolean,
  options: FilterOptions = {},
): MonoTypeOperatorFunction<T> {
  if (typeof predicate !== 'function') throw typeError('create a filter', 'predicate must be a function', predicate);
  const reason = options.reason ?? 'filtered';
  if (typeof reason !== 'string') throw typeError('create a filter', 'reason must be a string', reason);
  if (reason === '') throw rangeError('create a filter', 'reason must not be empty', reason);
  const handler = resolveHandler(options.handler);
  return (source) =>
    new Observable<T>((subscriber) => {
      let index = 0;
      return subscribeSource(source, subscriber, {
        next: (item) => {
          if (subscriber.closed) return;
          let keep: boolean;
          try {
            keep = predicate(item, index++);
          } catch (error) {
            handleStageError(handler, error, item, 'filter', subscriber);
            return;
          }
          if (keep) subscriber.next(item);
          else settleSkipped(item, reason);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
