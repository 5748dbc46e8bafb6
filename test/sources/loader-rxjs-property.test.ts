import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bufferCount,
  bufferTime,
  concatMap,
  distinct,
  filter,
  groupBy,
  map,
  mergeAll,
  mergeMap,
  pairwise,
  pipe,
  scan,
  skip,
  take,
  takeWhile,
  windowCount,
  type OperatorFunction,
} from 'rxjs';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import type { Sample } from '../../sources/sample.js';
import { shuffle } from '../../operators/shuffle.js';
import { batch } from '../../operators/batch.js';
import { unbatch } from '../../operators/unbatch.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeShards } from './fixtures.js';

const dir = tempDir();
const N = 160;
const FIELDS = 2;
const data = await writeShards(dir, 2, N / 2);
const cls = (s: Sample) => Number(String(s.cls));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
type Op = OperatorFunction<Sample, Sample>;

/** Stages that take samples and give samples, one per kind of stock operator (and ndaflow's own). */
const stage = fc.oneof(
  fc.integer({ min: 2, max: 5 }).map((k) => ({ name: `filter(%${k})`, op: filter((s: Sample) => cls(s) % k !== 0) })),
  fc.integer({ min: 0, max: 40 }).map((k) => ({ name: `skip(${k})`, op: skip<Sample>(k) })),
  fc.integer({ min: 1, max: 120 }).map((k) => ({ name: `take(${k})`, op: take<Sample>(k) })),
  fc.integer({ min: 1, max: 80 }).map((k) => ({ name: `takeWhile(<${k})`, op: takeWhile((s: Sample) => cls(s) < k) })),
  fc.integer({ min: 2, max: 30 }).map((k) => ({ name: `distinct(%${k})`, op: distinct((s: Sample) => cls(s) % k) })),
  fc.integer({ min: 1, max: 100 }).map((k) => ({
    name: `bufferCount(${k}) flat`,
    op: pipe(
      bufferCount<Sample>(k),
      mergeMap((b) => b),
    ),
  })),
  fc.constant({
    name: 'bufferTime(2) flat',
    op: pipe(
      bufferTime<Sample>(2),
      mergeMap((b) => b),
    ),
  }),
  fc
    .integer({ min: 1, max: 20 })
    .map((k) => ({ name: `windowCount(${k}) mergeAll`, op: pipe(windowCount<Sample>(k), mergeAll()) })),
  fc.integer({ min: 1, max: 4 }).map((g) => ({
    name: `groupBy(%${g}) mergeMap(bufferCount(5)) flat`,
    op: pipe(
      groupBy((s: Sample) => cls(s) % g),
      mergeMap((group) => group.pipe(bufferCount(5)), g),
      mergeMap((b) => b),
    ),
  })),
  fc.constant({
    name: 'concatMap(async)',
    op: concatMap(async (s: Sample) => {
      await tick();
      return s;
    }),
  }),
  fc.integer({ min: 1, max: 6 }).map((c) => ({
    name: `mergeMap(async {...s}, ${c})`,
    op: mergeMap(async (s: Sample) => {
      for (let i = 0; i < cls(s) % 3; i++) await tick();
      return { ...s };
    }, c),
  })),
  fc.constant({ name: 'scan(last)', op: scan((_: Sample | null, s: Sample) => s, null) as unknown as Op }),
  fc.constant({
    name: 'pairwise second',
    op: pipe(
      pairwise<Sample>(),
      map(([, b]) => b),
    ),
  }),
  fc.integer({ min: 1, max: 60 }).map((k) => ({ name: `shuffle(${k})`, op: shuffle<Sample>(k, { seed: k }) })),
  fc.integer({ min: 1, max: 20 }).map((k) => ({ name: `batch(${k}) unbatch`, op: pipe(batch(k), unbatch()) })),
);

describe('createLoader over random graphs of stock and ndaflow operators', () => {
  it('is bounded, balanced and never hangs (property)', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stage, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
        async (stages, wrap, prefetch) => {
          // each stage given to the loader on its own, or the whole graph as one pipe()
          const ops = wrap ? [(pipe as (...f: Op[]) => Op)(...stages.map((s) => s.op))] : stages.map((s) => s.op);
          const it = createLoader(fromShards(data.spec, { seed: 1 }), ops)
            .with({ prefetch, holdLimit: 256, stallMs: 3000 })
            .iterate();
          const check = () => {
            const a = it.accounting();
            const settled = a.yielded + Object.values(a.skipped).reduce((x, y) => x + y, 0);
            const allowed = (settled + it.maxInFlight + it.extraCredit + 1) * FIELDS;
            assert.ok(it.counters.entries <= allowed, `read ${it.counters.entries} entries, allowed ${allowed}`);
            assert.ok(it.extraCredit <= 256);
          };
          let delivered = 0;
          for await (const item of it) {
            check();
            delivered += Array.isArray(item) ? item.length : 1;
          }
          check();
          const a = it.accounting();
          const skipped = Object.values(a.skipped).reduce((x, y) => x + y, 0);
          assert.equal(a.seen, a.yielded + skipped, JSON.stringify(a));
          assert.deepEqual([a.inFlight, a.lost], [0, 0]);
          assert.ok(a.yielded <= delivered);
          const unexpected = Object.keys(a.skipped).filter((r) => r !== 'dropped' && r !== 'stopped');
          assert.deepEqual(unexpected, []);
        },
      ),
      { numRuns: 25, seed: 2026 },
    );
  });
});
