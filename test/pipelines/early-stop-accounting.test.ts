/**
 * Issue 14 item 4: an early stop (a consumer that stops at `--limit`, a stock `take`, an abort at a
 * random moment) leaves `lost = 0`, whatever read or decode was under way at the stop. The race it
 * guards: the source had a sample back from the tar reader (counted as seen) while the run was being
 * closed, and dropped it uncounted (`inspect --clips 2 --mode multi ... --limit 2` reported
 * "1 sample(s) were lost" in most tries).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { take } from 'rxjs';
import { decode } from '../../operators/decode.js';
import { decodeClips } from '../../operators/decode-clips.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader, type LoaderStage } from '../../sources/loader.js';
import { packageRoot } from '../../sources/package-root.js';
import type { Accounting } from '../../sources/ledger.js';
import type { Sample } from '../../sources/sample.js';

const FMNIST = join(packageRoot(), 'data', 'fmnist', 'train-{000000..000001}.tar.gz');
const MOVING = join(packageRoot(), 'data', 'moving-fmnist', 'test-000000.tar.gz');

/**
 * Where a run stops: after `n` items by the consumer (`--limit`), by a stock `take(n)`, or by an
 * abort `ms` after the start; `hops` microtask turns of the consumer's own work before it stops (the
 * race is between those turns and the source's read that the last delivery's credit woke).
 */
type Stop =
  | { readonly kind: 'limit'; readonly n: number; readonly hops: number }
  | { readonly kind: 'take'; readonly n: number; readonly hops: number }
  | { readonly kind: 'abort'; readonly ms: number; readonly hops: number };

/** Runs `stages` over `spec` and stops as `stop` says; returns the accounting once the run is closed. */
async function stopEarly(spec: string, stages: readonly unknown[], stop: Stop, shuffle: number): Promise<Accounting> {
  const source = fromShards(spec, { seed: 3, ...(shuffle > 0 ? { shuffle } : {}) });
  const ops = [...stages, ...(stop.kind === 'take' ? [take(stop.n)] : [])] as LoaderStage[];
  const it = createLoader<Sample>(source, ops).iterate();
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  if (stop.kind === 'abort') timer = setTimeout(() => void it.return?.(), stop.ms);
  try {
    while (!(await it.next()).done) {
      n++;
      for (let i = 0; i < stop.hops; i++) await Promise.resolve();
      if (stop.kind === 'limit' && n >= stop.n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  // let every read that was under way at the stop come back (the race happened after the stop)
  await new Promise((r) => setTimeout(r, 20));
  return it.accounting();
}

const stops = (max: number, maxMs: number, maxHops: number): fc.Arbitrary<Stop> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('limit' as const),
      n: fc.integer({ min: 1, max }),
      hops: fc.integer({ min: 0, max: maxHops }),
    }),
    fc.record({
      kind: fc.constant('take' as const),
      n: fc.integer({ min: 1, max }),
      hops: fc.integer({ min: 0, max: maxHops }),
    }),
    fc.record({
      kind: fc.constant('abort' as const),
      ms: fc.integer({ min: 0, max: maxMs }),
      hops: fc.integer({ min: 0, max: maxHops }),
    }),
  );

describe('early stops leave lost = 0 (issue 14 item 4)', () => {
  it('image pipeline (decode): any stop point, any stop kind, with and without a shuffle buffer', async () => {
    await fc.assert(
      fc.asyncProperty(stops(20, 60, 16), fc.constantFrom(0, 50), async (stop, shuffle) => {
        const a = await stopEarly(FMNIST, [decode({ image: 'gray' })], stop, shuffle);
        assert.equal(a.lost, 0, `${JSON.stringify(stop)} shuffle ${shuffle}: ${JSON.stringify(a)}`);
        assert.equal(a.seen, a.yielded + a.inFlight + a.buffered);
      }),
      { numRuns: 80, seed: 14 },
    );
  });

  it('clip pipeline (decodeClips, the inspect --clips 2 --mode multi reproduction): any stop point', async () => {
    await fc.assert(
      fc.asyncProperty(stops(3, 400, 4), async (stop) => {
        const a = await stopEarly(
          MOVING,
          [decodeClips({ frames: 8, size: 64, mode: 'multi', clips: 2, seed: 3, concurrency: 2 })],
          stop,
          0,
        );
        assert.equal(a.lost, 0, `${JSON.stringify(stop)}: ${JSON.stringify(a)}`);
      }),
      { numRuns: 12, seed: 14 },
    );
  });
});
