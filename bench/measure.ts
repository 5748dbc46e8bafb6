/** Small measuring helpers shared by the benchmarks. */
import { cpus } from 'node:os';

/** Items per second of `work` over about `seconds` (after a warm-up of `warmup` seconds). */
export async function ratePerSecond(seconds: number, warmup: number, work: () => Promise<number>): Promise<number> {
  const warmEnd = performance.now() + warmup * 1000;
  while (performance.now() < warmEnd) await work();
  const start = performance.now();
  let items = 0;
  while (performance.now() - start < seconds * 1000) items += await work();
  return items / ((performance.now() - start) / 1000);
}

/** Runs `fn` over `items` with at most `concurrency` in flight; resolves when all are done. */
export async function runBounded<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export const CORES = cpus().length;

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
