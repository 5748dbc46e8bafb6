import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  bufferCount,
  bufferTime,
  concatMap,
  distinct,
  filter,
  groupBy,
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
import { fromShards, type FromShardsOptions } from '../../sources/from-shards.js';
import { createLoader, type LoaderOptions } from '../../sources/loader.js';
import type { Accounting } from '../../sources/ledger.js';
import type { Sample } from '../../sources/sample.js';
import { shuffle } from '../../operators/shuffle.js';
import { decode } from '../../operators/decode.js';
import { batch } from '../../operators/batch.js';
import { tempDir } from '../helpers/temp-dir.js';
import { keyOf, writeShards } from './fixtures.js';

const dir = tempDir();
const SHARDS = 2;
const PER_SHARD = 150;
const N = SHARDS * PER_SHARD;
const FIELDS = 2; // cls, txt
const data = await writeShards(dir, SHARDS, PER_SHARD); // keys s0-00000.. in tar order
const cls = (s: Sample) => Number(String(s.cls));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const total = (a: Accounting) => Object.values(a.skipped).reduce((x, y) => x + y, 0);

interface Run {
  readonly items: unknown[];
  readonly accounting: Accounting;
  readonly maxInFlight: number;
  readonly extraCredit: number;
}

/**
 * Runs the operators inside a loader to the end, checking at every delivery that the entries read
 * stay within what the bound allows ahead of what was settled: (settled + maxInFlight + grown
 * credit + the source's shuffle buffer + one sample being read) * fields. Counted, not timed.
 */
async function runChecked(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- createLoader takes any stage (its typed overloads are issue 11 item 3)
  ops: readonly OperatorFunction<any, any>[],
  options: LoaderOptions = {},
  sourceOptions: FromShardsOptions = {},
): Promise<Run> {
  const shuffleSize = typeof sourceOptions.shuffle === 'number' ? sourceOptions.shuffle : 0;
  const it = createLoader(fromShards(data.spec, { seed: 1, ...sourceOptions }), ops)
    .with(options)
    .iterate();
  const items: unknown[] = [];
  const check = () => {
    const a = it.accounting();
    const allowed = (a.yielded + total(a) + it.maxInFlight + it.extraCredit + shuffleSize + 1) * FIELDS;
    assert.ok(it.counters.entries <= allowed, `read ${it.counters.entries} entries, allowed ${allowed}`);
    assert.ok(it.extraCredit <= (options.holdLimit ?? 1024), `credit grew to ${it.extraCredit}`);
  };
  for await (const item of it) {
    check();
    items.push(item);
  }
  check();
  return { items, accounting: it.accounting(), maxInFlight: it.maxInFlight, extraCredit: it.extraCredit };
}

/** The invariants every run keeps: seen = yielded + skipped, nothing in flight, lost 0. */
function balanced(a: Accounting, seen = N): void {
  assert.equal(a.seen, seen);
  assert.equal(a.seen, a.yielded + total(a), JSON.stringify(a));
  assert.deepEqual([a.inFlight, a.buffered, a.lost], [0, 0, 0]);
}

const keys = (items: readonly unknown[]) => (items as Sample[]).map((s) => s.__key__);
const flatKeys = (items: readonly unknown[]) => (items as Sample[][]).flat().map((s) => s.__key__);
const all = data.keys;

describe('createLoader with stock RxJS operators: dropping', () => {
  it('filter: delivers what passes, counts the rest as dropped', async () => {
    const r = await runChecked([filter((s: Sample) => cls(s) % 3 === 0)]);
    const want = all.filter((_, i) => (i % PER_SHARD) % 3 === 0);
    assert.deepEqual(keys(r.items), want);
    balanced(r.accounting);
    assert.deepEqual(r.accounting.skipped, { dropped: N - want.length });
  });

  it('filter that drops everything ends (no stall) with every sample dropped', async () => {
    const r = await runChecked([filter(() => false)]);
    assert.equal(r.items.length, 0);
    balanced(r.accounting);
    assert.deepEqual(r.accounting.skipped, { dropped: N });
  });

  it('skip: drops the first n', async () => {
    const r = await runChecked([skip(120)]);
    assert.deepEqual(keys(r.items), all.slice(120));
    balanced(r.accounting);
    assert.deepEqual(r.accounting.skipped, { dropped: 120 });
  });

  it('distinct by class: delivers the first of each, drops the rest', async () => {
    const r = await runChecked([distinct((s: Sample) => cls(s) % 10)]);
    assert.deepEqual(keys(r.items), all.slice(0, 10));
    balanced(r.accounting);
    assert.deepEqual(r.accounting.skipped, { dropped: N - 10 });
  });
});

describe('createLoader with stock RxJS operators: stopping early', () => {
  it('take: delivers n, stops reading, counts what was in flight as stopped', async () => {
    const r = await runChecked([take(40)]);
    assert.deepEqual(keys(r.items), all.slice(0, 40));
    const a = r.accounting;
    assert.equal(a.yielded, 40);
    assert.equal(a.seen, a.yielded + total(a));
    assert.ok(a.seen <= 40 + r.maxInFlight + 1, `read ${a.seen}`);
    assert.deepEqual(Object.keys(a.skipped), a.seen > 40 ? ['stopped'] : []);
    assert.deepEqual([a.inFlight, a.lost], [0, 0]);
  });

  it('takeWhile: delivers the run that passes, then stops', async () => {
    const r = await runChecked([takeWhile((s: Sample) => cls(s) < 30)]);
    assert.deepEqual(keys(r.items), all.slice(0, 30));
    const a = r.accounting;
    assert.equal(a.seen, a.yielded + total(a));
    assert.deepEqual([a.yielded, a.inFlight, a.lost], [30, 0, 0]);
  });
});

describe('createLoader with stock RxJS operators: holding and grouping', () => {
  it('bufferCount: arrays of samples carry their lineage; all delivered in order', async () => {
    const r = await runChecked([bufferCount(16)]);
    assert.deepEqual(
      (r.items as unknown[][]).map((b) => b.length),
      [...Array.from({ length: Math.floor(N / 16) }, () => 16), N % 16],
    );
    assert.deepEqual(flatKeys(r.items), all);
    balanced(r.accounting);
  });

  it('bufferCount larger than the bound: credit grows (bounded by holdLimit), all delivered', async () => {
    const r = await runChecked([bufferCount(100)], { prefetch: 8, holdLimit: 256 });
    assert.equal(r.maxInFlight, 8);
    assert.ok(r.extraCredit >= 92, `grew ${r.extraCredit}`);
    assert.deepEqual(flatKeys(r.items), all);
    balanced(r.accounting);
  });

  it('bufferTime: arrays by time, all delivered in order', async () => {
    const r = await runChecked([bufferTime(5)]);
    assert.deepEqual(flatKeys(r.items), all);
    balanced(r.accounting);
  });

  it('windowCount + mergeAll: every sample, in order', async () => {
    const r = await runChecked([windowCount(10), mergeAll()]);
    assert.deepEqual(keys(r.items), all);
    balanced(r.accounting);
  });

  it('groupBy + mergeMap(bufferCount): groups of one class each, every sample once', async () => {
    const r = await runChecked([
      groupBy((s: Sample) => cls(s) % 4),
      mergeMap((g: import('rxjs').GroupedObservable<number, Sample>) => g.pipe(bufferCount(8)), 4),
    ]);
    const groups = r.items as Sample[][];
    for (const g of groups) assert.equal(new Set(g.map((s) => cls(s) % 4)).size, 1);
    assert.deepEqual(flatKeys(groups).sort(), [...all].sort());
    balanced(r.accounting);
  });

  it('scan to numbers: each number, emitted synchronously from its sample, delivers it', async () => {
    const r = await runChecked([scan((n: number) => n + 1, 0)]);
    assert.deepEqual(
      r.items,
      Array.from({ length: N }, (_, i) => i + 1),
    );
    balanced(r.accounting);
    assert.deepEqual(r.accounting.skipped, {});
  });
});

describe('createLoader with stock RxJS operators: duplicating, delaying, reordering', () => {
  it('pairwise: every sample delivered (twice counts once)', async () => {
    const r = await runChecked([pairwise()]);
    const pairs = r.items as [Sample, Sample][];
    assert.equal(pairs.length, N - 1);
    assert.deepEqual(
      pairs.map(([a]) => a.__key__),
      all.slice(0, -1),
    );
    balanced(r.accounting);
    assert.equal(r.accounting.yielded, N);
  });

  it('concatMap with an async function: all delivered in order', async () => {
    const r = await runChecked([
      concatMap(async (s: Sample) => {
        await tick();
        return s;
      }),
    ]);
    assert.deepEqual(keys(r.items), all);
    balanced(r.accounting);
  });

  it('bounded mergeMap with an async function building new samples ({...s}): all delivered', async () => {
    const r = await runChecked([
      mergeMap(async (s: Sample) => {
        for (let i = 0; i < cls(s) % 3; i++) await tick();
        return { ...s, seen: true };
      }, 4),
    ]);
    assert.deepEqual(keys(r.items).sort(), [...all].sort());
    balanced(r.accounting);
  });
});

describe("createLoader: pipe() of stock operators with ndaflow's own", () => {
  it('pipe(shuffle, decode, batch): the declared holdings reach the loader through pipe()', async () => {
    const loader = createLoader(
      fromShards(data.spec, { seed: 1 }),
      pipe(shuffle(100, { seed: 1 }), decode(), batch(16)),
    );
    const declaredDecode = decode().ndaflowHolds ?? 0;
    assert.equal(loader.maxInFlight, 2 * (100 + declaredDecode + 16));
    const r = await runChecked([pipe(shuffle(100, { seed: 1 }), decode(), batch(16))]);
    assert.equal(r.extraCredit, 0);
    const got = (r.items as { __key__: string[] }[]).flatMap((b) => b.__key__);
    assert.deepEqual([...got].sort(), [...all].sort());
    assert.notDeepEqual(got, all);
    balanced(r.accounting);
  });

  it('pipe(filter, bufferCount) and decode, shuffle, batch around it', async () => {
    const r = await runChecked(
      [
        decode(),
        pipe(
          filter((s: Sample) => (s.cls as number) % 2 === 0),
          bufferCount(4),
        ),
        concatMap((group: Sample[]) => group),
        shuffle(32, { seed: 2 }),
        batch(8),
      ],
      {},
      { shuffle: 50 },
    );
    const got = (r.items as { __key__: string[]; cls: Float64Array }[]).flatMap((b) => [...b.cls]);
    assert.equal(got.length, N / 2);
    assert.ok(got.every((c) => c % 2 === 0));
    balanced(r.accounting);
    assert.deepEqual(r.accounting.skipped, { dropped: N / 2 });
  });
});

describe('createLoader: what each stage did', () => {
  it('stages() names each stage and counts samples in, out and dropped', async () => {
    const it = createLoader(
      fromShards(data.spec, { seed: 1 }),
      filter((s: Sample) => cls(s) < 50),
      batch(10),
    ).iterate();
    for (let r = await it.next(); !r.done; r = await it.next());
    const [f, b] = it.stages();
    assert.deepEqual(
      { name: f?.name, received: f?.received, emitted: f?.emitted, dropped: f?.dropped },
      { name: '', received: N, emitted: 100, dropped: 200 },
    );
    assert.deepEqual(
      { name: b?.name, received: b?.received, emitted: b?.emitted, dropped: b?.dropped },
      {
        name: 'batch',
        received: 100,
        emitted: 100,
        dropped: 0,
      },
    );
    assert.equal(keyOf(0, 0), all[0]);
  });
});
