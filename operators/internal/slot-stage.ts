import type { Subscriber } from 'rxjs';

/** One input inside a {@link slotStage}: running until `done`, then holding its value or error. */
export interface Slot<Item, Value> {
  readonly item: Item;
  done: boolean;
  value?: Value;
  error?: unknown;
  /** The field the work was about, for error messages. */
  field?: string;
}

/** What a stage built on {@link slotStage} supplies. */
export interface SlotStageSpec<Item, Value> {
  /** Emit in input order (a finished slot waits for the ones before it; it still counts against `concurrency`). */
  readonly ordered: boolean;
  /** Most slots in the stage at once, running or finished and waiting for their turn. */
  readonly concurrency: number;
  readonly subscriber: Subscriber<Value>;
  /** True once the stage was torn down. */
  readonly isClosed: () => boolean;
  /** Starts the work of a slot; sets `done` (and `value` or `error`) at once when it finished synchronously, else later followed by `pump()`. */
  readonly start: (slot: Slot<Item, Value>) => void;
  /** A slot that failed, in emission order: 'stop' when the stage stopped (the handler completed or errored the subscriber). */
  readonly fail: (slot: Slot<Item, Value>) => 'continue' | 'stop';
}

/** The driver of a bounded, optionally ordered stage of asynchronous work (`workerMap`, `ndaPairs`). */
export interface SlotStage<Item> {
  /** Queues an input and runs what fits. */
  push(item: Item): void;
  /** No more input: the subscriber completes once every slot is emitted. */
  end(): void;
  /** Emits what is ready, starts what fits, completes at the end; call it after a slot finished. */
  pump(): void;
  /** Drops every queued input and slot (teardown). */
  clear(): void;
}

/**
 * One bounded, ordered-or-not pump shared by the pooled stages: inputs wait in a queue, at most
 * `concurrency` slots run or wait for their turn, finished slots are emitted (in input order when
 * `ordered`) or their errors passed to `fail`. Re-entrant calls (a synchronous finish that leads to
 * more input) are folded into the running loop.
 */
export function slotStage<Item, Value>(spec: SlotStageSpec<Item, Value>): SlotStage<Item> {
  const { ordered, concurrency, subscriber, isClosed, start, fail } = spec;
  const waiting: Item[] = [];
  const inStage: Slot<Item, Value>[] = [];
  let upstreamDone = false;
  let pumping = false;
  let again = false;
  const live = () => !isClosed() && !subscriber.closed;

  const pump = (): void => {
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        for (let i = 0; i < inStage.length && live();) {
          const slot = inStage[i] as Slot<Item, Value>;
          if (!slot.done) {
            if (ordered) break;
            i++;
            continue;
          }
          inStage.splice(i, 1);
          if (slot.error !== undefined) {
            if (fail(slot) === 'stop') return;
          } else subscriber.next(slot.value as Value);
        }
        while (live() && waiting.length > 0 && inStage.length < concurrency) {
          const slot: Slot<Item, Value> = { item: waiting.shift() as Item, done: false };
          inStage.push(slot);
          start(slot);
          if (slot.done) again = true; // finished at once: emitted by the next turn of this loop
        }
        if (live() && upstreamDone && waiting.length === 0 && inStage.length === 0) subscriber.complete();
      } while (again && live());
    } finally {
      pumping = false;
    }
  };

  return {
    push(item) {
      if (!live()) return;
      waiting.push(item);
      pump();
    },
    end() {
      upstreamDone = true;
      pump();
    },
    pump,
    clear() {
      waiting.length = 0;
      inStage.length = 0;
    },
  };
}
