import { Random } from './random.js';
import { checkInteger } from './errors.js';

/** Options of a shuffle buffer. */
export interface ShuffleBufferOptions {
  /** Most items held. */
  readonly size: number;
  /** Items held before the first is given out; the buffer then grows by one per item out, up to `size`. @default size */
  readonly initial?: number;
}

/**
 * WebDataset-style shuffle buffer with a deterministic, serialisable state: before giving out item
 * `t` it wants `min(size, initial + t)` items; it gives out a uniformly chosen one (swap with the
 * last, pop). Given the same input order and generator state it gives the same output order.
 */
export class ShuffleBuffer<T> {
  readonly size: number;
  readonly initial: number;
  items: T[] = [];
  /** Items given out so far. */
  taken = 0;

  constructor(
    options: ShuffleBufferOptions,
    private rng: Random,
  ) {
    this.size = checkInteger('create a shuffle buffer', 'size', options.size, 1);
    this.initial = Math.min(
      this.size,
      checkInteger('create a shuffle buffer', 'initial', options.initial ?? options.size, 1),
    );
  }

  /** How many items the buffer wants before it gives out the next one. */
  wanted(): number {
    return Math.min(this.size, this.initial + this.taken);
  }

  needsMore(): boolean {
    return this.items.length < this.wanted();
  }

  add(item: T): void {
    this.items.push(item);
  }

  /** Gives out one item (the buffer must not be empty). */
  take(): T {
    const j = this.rng.int(0, this.items.length - 1);
    const last = this.items.length - 1;
    const picked = this.items[j] as T;
    this.items[j] = this.items[last] as T;
    this.items.pop();
    this.taken++;
    return picked;
  }

  get length(): number {
    return this.items.length;
  }

  /** Generator state (for exact resume, together with the items in buffer order and `taken`). */
  rngState(): number[] {
    return this.rng.state();
  }

  /** Restores the generator, items (in buffer order) and count given out. */
  restore(rng: Random, items: T[], taken: number): void {
    this.rng = rng;
    this.items = items;
    this.taken = taken;
  }
}
