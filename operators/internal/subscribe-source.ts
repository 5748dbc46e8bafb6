import { takeWhile, type Observable, type Observer, type Subscriber, type Subscription } from 'rxjs';

/**
 * Subscribes a stage to its source on the RxJS public API, so that the stage stops pulling from a
 * synchronous source (`from(array)`, `range`) as soon as its own subscriber is closed (a downstream
 * `take(n)`, an error handler's stop). With a plain `source.subscribe(...)` inside
 * `new Observable(...)`, the stage's teardown is registered only after `subscribe` returns, so a
 * synchronous source would run to its end (forever, for an endless one).
 *
 * The observer's callbacks are called only while `subscriber` is open; a source that ends because
 * the stage closed does not reach `complete` (a batch must not flush a partial batch then).
 */
export function subscribeSource<T>(
  source: Observable<T>,
  subscriber: Subscriber<unknown>,
  observer: Partial<Observer<T>>,
): Subscription {
  return source.pipe(takeWhile(() => !subscriber.closed)).subscribe({
    next: (value) => {
      if (!subscriber.closed) observer.next?.(value);
    },
    error: (error: unknown) => {
      if (subscriber.closed) return;
      if (observer.error) observer.error(error);
      else subscriber.error(error);
    },
    complete: () => {
      if (subscriber.closed) return;
      if (observer.complete) observer.complete();
      else subscriber.complete();
    },
  });
}
