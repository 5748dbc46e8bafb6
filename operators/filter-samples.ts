import { Observable, type MonoTypeOperatorFunction, type OperatorFunction } from 'rxjs';
import { typeError, rangeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { settleSkipped } from '../sources/sample.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const FILTER_SAMPLES_KEYS = optionKeys<FilterSamplesOptions>({ reason: true, handler: true });

/** Options of {@link filterSamples}. */
export interface FilterSamplesOptions {
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
 * Keeps the items for which `predicate` returns true, counting the others under a reason of yours.
 * What it adds to RxJS's `filter` (which also works inside `createLoader`, its drops counted under
 * a generic reason): each dropped sample is settled as skipped under `reason`, so the accounting
 * says why (`skipped: { 'class-9': 6000 }`), and a throwing predicate skips the sample (reason
 * `'filter'`) as `handler` says instead of ending the stream. WebDataset's `select(predicate)`. Use it to drop unwanted classes, tiny images, corrupt metadata.
 * Deterministic if the predicate is.
 *
 * @param predicate `(item, index) => boolean`, called once per item in order.
 * @throws TypeError when `predicate` is not a function or `reason` is not a non-empty string.
 * @example
 * createLoader(source, decode(), filterSamples((s) => s.cls !== 9, { reason: 'class-9' }));
 * @see mapSamples
 */
export function filterSamples<T, S extends T>(
  predicate: (item: T, index: number) => item is S,
  options?: FilterSamplesOptions,
): OperatorFunction<T, S>;
export function filterSamples<T>(
  predicate: (item: T, index: number) => boolean,
  options?: FilterSamplesOptions,
): MonoTypeOperatorFunction<T>;
export function filterSamples<T>(
  predicate: (item: T, index: number) => boolean,
  options: FilterSamplesOptions = {},
): MonoTypeOperatorFunction<T> {
  checkOptionKeys('filterSamples', options, FILTER_SAMPLES_KEYS);
  if (typeof predicate !== 'function')
    throw typeError('create filterSamples', 'predicate must be a function', predicate);
  const reason = options.reason ?? 'filtered';
  if (typeof reason !== 'string') throw typeError('create filterSamples', 'reason must be a string', reason);
  if (reason === '') throw rangeError('create filterSamples', 'reason must not be empty', reason);
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
