import { PerformanceObserver, constants as perf } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/**
 * Headroom in V8's heap limit for the memory a loader churns through outside the JS heap.
 *
 * Why: V8 sets the next full collection's trigger from the live JS heap alone (its growing factor,
 * 1.1-1.3 when collections are cheap, times the live size, plus the young generation), but counts
 * every ArrayBuffer attached since the last full collection against that trigger. A loader's heap
 * is small (~9 MB live in `bench:loader`) while each batch attaches megabytes (a 64 x 224 x 224 x 3
 * block is 9.6 MB, new or moved by `releaseBatch`; tar reads and entry copies ~55 KB per image),
 * so a 2-core process started a full collection every batch (~35 a second, `--trace-gc`): about
 * 260 us of CPU per image, 40 % of the photo pipeline (measured with `process.cpuUsage`).
 * `--initial-old-space-size=512` removes it but cannot be set once node runs (nor via
 * NODE_OPTIONS); `--heap-growing-percent` can (`v8.setFlagsFromString`), and V8 reads it at every
 * limit it computes. So while a loader runs, the growing percent is set so that the limit clears
 * the live heap by `bytes` (712 % for 64 MB over 9 MB live), recomputed after each full collection
 * from the heap then in use; at or above `bytes` of live heap V8's own factor is left alone (0).
 * The flag is process-wide: holders are counted, the largest headroom wins, and the last release
 * restores V8's default. A `--heap-growing-percent` given on node's command line is never touched.
 */

/** What {@link GcHeadroom} needs from the process (a fake in tests). */
export interface GcHeadroomHost {
  /** Bytes of JS heap in use. */
  usedHeapBytes(): number;
  /** `v8.setFlagsFromString`. */
  setFlags(flags: string): void;
  /** Calls `onFullCollection` after each full (mark-compact) collection; returns the stop function. */
  watchFullCollections(onFullCollection: () => void): () => void;
  /** True when node was started with its own `--heap-growing-percent`. */
  readonly userSetsGrowth: boolean;
}

/** Largest growing percent set (an 11x factor: a 6 MB heap under 64 MB headroom). */
export const MAX_GROWING_PERCENT = 1000;

/** The percent that lifts a limit computed from `liveBytes` by `headroomBytes` (0: V8's own factor). */
export function growingPercent(headroomBytes: number, liveBytes: number): number {
  if (liveBytes >= headroomBytes) return 0;
  return Math.min(MAX_GROWING_PERCENT, Math.ceil((100 * headroomBytes) / Math.max(liveBytes, 1)));
}

/** See the module comment: counted holds on V8's heap growing percent. */
export class GcHeadroom {
  readonly #holds: number[] = [];
  #percent = 0;
  #stopWatching: (() => void) | undefined;

  constructor(private readonly host: GcHeadroomHost = nodeHost()) {}

  /** The growing percent now set by this object (0: V8's default). */
  get percent(): number {
    return this.#percent;
  }

  /** Holds `megabytes` of headroom until the returned function is called (once; later calls do nothing). */
  hold(megabytes: number): () => void {
    if (!(megabytes > 0) || this.host.userSetsGrowth) return () => {};
    const bytes = megabytes * 2 ** 20;
    this.#holds.push(bytes);
    this.#stopWatching ??= this.host.watchFullCollections(() => this.#apply());
    this.#apply();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds.splice(this.#holds.indexOf(bytes), 1);
      if (this.#holds.length > 0) {
        this.#apply();
        return;
      }
      this.#stopWatching?.();
      this.#stopWatching = undefined;
      this.#set(0);
    };
  }

  #apply(): void {
    if (this.#holds.length === 0) return;
    this.#set(growingPercent(Math.max(...this.#holds), this.host.usedHeapBytes()));
  }

  #set(percent: number): void {
    if (percent === this.#percent) return;
    this.#percent = percent;
    this.host.setFlags(`--heap-growing-percent=${percent}`);
  }
}

function nodeHost(): GcHeadroomHost {
  return {
    usedHeapBytes: () => getHeapStatistics().used_heap_size,
    setFlags: setFlagsFromString,
    watchFullCollections(onFullCollection) {
      const observer = new PerformanceObserver((list) => {
        const full = list
          .getEntries()
          .some((e) => (e as { detail?: { kind?: number } }).detail?.kind === perf.NODE_PERFORMANCE_GC_MAJOR);
        if (full) onFullCollection();
      });
      observer.observe({ entryTypes: ['gc'] });
      return () => observer.disconnect();
    },
    userSetsGrowth: process.execArgv.some((a) => /^--heap[-_]growing[-_]percent/.test(a)),
  };
}

/** The process's headroom, shared by its loaders (V8's flag is process-wide). */
export const processGcHeadroom = new GcHeadroom();
