import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { checkInteger } from '../sources/errors.js';
import { holding, type HoldingOperatorFunction } from '../sources/loader.js';
import { Random } from '../sources/random.js';
import { ShuffleBuffer } from '../sources/shuffle-buffer.js';
import { resolveSeed } from './internal/resolve-seed.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const SHUFFLE_KEYS = optionKeys<ShuffleOptions>({ initial: true, seed: true, onSeed: true });

/** Options of {@link shuffle}. */
export interface ShuffleOptions {
  /**
   * Items gathered before the first is given out; the buffer then grows by one per item given out,
   * up to `size` (WebDataset's `initial`: a smaller value starts the stream sooner, less shuffled).
   * @default size
   */
  readonly initial?: number;
  /** Seed of the buffer's generator (`Random.derive(seed, 'shuffle-op')`). @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
}

/**
 * A sample-level shuffle buffer as an operator (WebDataset's `shuffle(size, initial)`): it keeps up
 * to `size` items, and for each new item gives out one chosen uniformly from the buffer; when the
 * input ends it drains the buffer in random order. Use it to shuffle again after a stage that
 * groups or reorders (after `unbatch`, say); to shuffle samples as they are read, prefer the
 * source's own `fromShards(..., { shuffle })`, whose buffer is part of the saved loader state (this
 * operator's buffer holds samples in flight: a resumed run re-reads them, loses none, but gives
 * them out in another order).
 *
 * The buffer holds up to `size` items (declared with `holding`, so a loader sizes its credit to
 * fit); each subscription starts a fresh buffer and generator, and the teardown drops the buffer.
 * Deterministic given `seed` and the input order: same seed, same output order.
 *
 * @param size Most items held, >= 1.
 * @throws RangeError/TypeError for a bad `size`, `initial` or `seed`.
 * @example
 * createLoader(source, decode(), unbatch(), shuffle(1000, { seed: 7 }), batch(64));
 */
export function shuffle<T>(size: number, options: ShuffleOptions = {}): HoldingOperatorFunction<T, T> {
  checkOptionKeys('shuffle', options, SHUFFLE_KEYS);
  const action = 'create a shuffle';
  checkInteger(action, 'size', size, 1);
  const initial = options.initial === undefined ? size : checkInteger(action, 'initial', options.initial, 1);
  const seed = resolveSeed(action, options.seed, options.onSeed);
  const op: MonoTypeOperatorFunction<T> = (source) =>
    new Observable<T>((subscriber) => {
      let buffer: ShuffleBuffer<T> | undefined = new ShuffleBuffer<T>(
        { size, initial },
        Random.derive(seed, 'shuffle-op'),
      );
      const sub = subscribeSource(source, subscriber, {
        next: (item) => {
          if (!buffer || subscriber.closed) return;
          buffer.add(item);
          while (buffer && !subscriber.closed && buffer.length > 0 && !buffer.needsMore())
            subscriber.next(buffer.take());
        },
        error: (error: unknown) => {
          buffer = undefined;
          subscriber.error(error);
        },
        complete: () => {
          while (buffer && !subscriber.closed && buffer.length > 0) subscriber.next(buffer.take());
          buffer = undefined;
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        buffer = undefined;
      };
    });
  return holding(size, op, { name: 'shuffle' });
}
