import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Observable, bufferCount, map, take } from 'rxjs';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader, holding } from '../../sources/loader.js';
import { parallelMap } from '../../operators/parallel-map.js';
import type { Sample } from '../../sources/sample.js';
import { tempDir } from '../helpers/temp-dir.js';
import { keysOf, openFds, quiet, settledFds, testBatch, writeShards } from './fixtures.js';

const dir = tempDir();
const data = await writeShards(dir, 4, 1000, { binBytes: 64 }); // 4000 samples, 3 fields each
const FIELDS = 3;

describe('createLoader: backpressure', () => {
  it('reads nothing before the first next()', async () => {
    const it = createLoader(fromShards(data.spec, { seed: 1, shuffle: 100 }), testBatch(16)).iterate();
    await quiet();
    assert.equal(it.counters.entries, 0);
    assert.equal(it.accounting().seen, 0);
    await it.return?.();
  });

  it('a sink that takes 3 batches keeps the reads within the declared bound (counted, not timed)', async () => {
    const shuffle = 200;
    const batchSize = 16;
    const it = createLoader(fromShards(data.spec, { seed: 1, shuffle }), testBatch(batchSize)).iterate();
    assert.equal(it.maxInFlight, batchSize + 64);
    let consumed = 0;
    for (let i = 0; i < 3; i++) {
      const r = await it.next();
      assert.equal(r.done, false);
      consumed += keysOf(r.value).length;
    }
    const bound = (consumed + shuffle + it.maxInFlight) * FIELDS;
    // the bound must hold at any time: look several times while the pipeline settles
    for (let look = 0; look < 5; look++) {
      await quiet();
      assert.ok(it.counters.entries <= bound, `read ${it.counters.entries} entries, bound ${bound}`);
    }
    assert.ok(it.counters.entries >= (consumed + shuffle) * FIELDS, 'it did read ahead to fill the buffer');
    const a = it.accounting();
    assert.equal(a.yielded, consumed);
    assert.ok(a.inFlight <= it.maxInFlight);
    assert.ok(a.buffered <= shuffle);
    assert.equal(a.lost, 0);
    // and the consumer going on takes the reads along
    const r = await it.next();
    assert.equal(r.done, false);
    await quiet();
    assert.ok(it.counters.entries <= (consumed + batchSize + shuffle + it.maxInFlight) * FIELDS);
    await it.return?.();
  });

  it('prefetch sets the bound beyond what the stages hold', async () => {
    const loader = createLoader(fromShards(data.spec, { seed: 1 }), testBatch(8)).with({ prefetch: 4 });
    assert.equal(loader.maxInFlight, 12);
    const it = loader.iterate();
    await it.next();
    await quiet();
    assert.ok(it.counters.entries <= (8 + 12) * FIELDS, `read ${it.counters.entries}`);
    await it.return?.();
    assert.throws(() => createLoader(fromShards(data.spec, { seed: 1 })).with({ prefetch: 0 }), RangeError);
  });
});

describe('createLoader: lifecycle', () => {
  it('stopping early closes the shard files and settles nothing as lost', async () => {
    await quiet();
    const before = openFds();
    const its = Array.from({ length: 4 }, () =>
      createLoader(fromShards(data.spec, { seed: 2, shuffle: 50 }), testBatch(4)).iterate(),
    );
    for (const it of its) await it.next();
    assert.ok(openFds() > before);
    for (const it of its) {
      await it.return?.();
      assert.equal(it.accounting().lost, 0);
    }
    assert.equal(await settledFds(before), before);
  });

  it('a for-await break closes the files, and the source never emits after unsubscribe', async () => {
    await quiet();
    const before = openFds();
    let after = 0;
    let unsubscribed = false;
    const spy = (source: Observable<Sample>) =>
      new Observable<Sample>((subscriber) => {
        const sub = source.subscribe({
          next: (s) => {
            if (unsubscribed) after++;
            subscriber.next(s);
          },
          error: (e) => subscriber.error(e),
          complete: () => subscriber.complete(),
        });
        return () => {
          unsubscribed = true;
          sub.unsubscribe();
        };
      });
    let n = 0;
    for await (const _ of createLoader(fromShards(data.spec, { seed: 3 }), spy)) if (++n === 10) break;
    assert.equal(unsubscribed, true);
    // the plain source too, through take()
    const got: string[] = [];
    await new Promise<void>((resolve) =>
      fromShards(data.spec, { seed: 3 })
        .pipe(
          take(5),
          map((s) => s.__key__),
        )
        .subscribe({ next: (k) => got.push(k), complete: resolve }),
    );
    assert.equal(got.length, 5);
    await quiet();
    assert.equal(after, 0);
    assert.equal(await settledFds(before), before);
  });

  it('a whole run ends with seen === yielded and nothing lost', async () => {
    const it = createLoader(fromShards(data.spec, { seed: 4, shuffle: 300 }), testBatch(64)).iterate();
    let n = 0;
    for await (const b of it) n += b.__key__.length;
    const a = it.accounting();
    assert.equal(n, 4000);
    assert.deepEqual([a.seen, a.yielded, a.inFlight, a.buffered, a.lost], [4000, 4000, 0, 0, 0]);
  });

  it('an item without lineage made synchronously from a sample delivers that sample', async () => {
    const strip = map((s: Sample) => ({ __key__: s.__key__ }));
    const it = createLoader(fromShards(data.paths[0] as string, { seed: 1 }), strip).iterate();
    let n = 0;
    for await (const item of it) if (typeof (item as { __key__?: unknown }).__key__ === 'string') n++;
    const a = it.accounting();
    assert.equal(n, 1000);
    assert.deepEqual([a.seen, a.yielded, a.skipped, a.lost], [1000, 1000, {}, 0]);
  });

  it('return() while a next() waits ends that next()', async () => {
    const never = () => new Observable<Sample>(() => undefined);
    const it = createLoader(fromShards(data.spec, { seed: 1 }), holding(0, never)).iterate();
    const pending = it.next();
    await quiet(2);
    await it.return?.();
    assert.deepEqual(await pending, { value: undefined, done: true });
  });

  it('grows its credit for a stage that holds more than it declares, and says so once', async () => {
    const seen: string[] = [];
    const listener = (w: Error & { code?: string }) => seen.push(w.code ?? '');
    process.on('warning', listener);
    try {
      // a stock bufferCount(20) declares nothing; with a bound of 8 it could never fill
      const it = createLoader(fromShards(data.paths[0] as string, { seed: 1 }), bufferCount(20))
        .with({ prefetch: 8 })
        .iterate();
      assert.equal(it.maxInFlight, 8);
      let n = 0;
      for await (const b of it) n += (b as unknown as Sample[]).length;
      assert.equal(n, 1000);
      assert.equal(it.accounting().lost, 0);
      assert.ok(it.extraCredit >= 12 && it.extraCredit <= 1024, `grew ${it.extraCredit}`);
      assert.deepEqual(
        seen.filter((c) => c === 'loader-undeclared-hold'),
        ['loader-undeclared-hold'],
      );
    } finally {
      process.off('warning', listener);
    }
  });

  it('does not grow its credit for a slow stage that has not emitted yet (one ffmpeg start per video)', async () => {
    const seen: string[] = [];
    const listener = (w: Error & { code?: string }) => seen.push(w.code ?? '');
    process.on('warning', listener);
    try {
      // like decodeClips: 2 calls at once, the first items late (a process start), declared as 4 held;
      // the loader's prefetch (64) queues in front of it
      const slow = parallelMap(
        async (s: Sample) => {
          await new Promise((resolve) =>
            setTimeout(resolve, s.__key__.endsWith('00000') || s.__key__.endsWith('00001') ? 200 : 5),
          );
          return s;
        },
        { concurrency: 2 },
      );
      const it = createLoader(fromShards(data.paths[0] as string, { seed: 1 }), slow).iterate();
      let n = 0;
      for await (const _ of it) if (++n === 100) break;
      assert.equal(n, 100);
      assert.equal(it.extraCredit, 0);
      assert.deepEqual(
        seen.filter((c) => c === 'loader-undeclared-hold'),
        [],
      );
    } finally {
      process.off('warning', listener);
    }
  });

  it('holding() validates what it declares', () => {
    assert.throws(
      () =>
        holding(
          -1,
          map((x) => x),
        ),
      RangeError,
    );
    assert.throws(
      () =>
        holding(
          Number.NaN,
          map((x) => x),
        ),
      TypeError,
    );
  });

  it('run() consumes everything and returns the accounting', async () => {
    let n = 0;
    const a = await createLoader(fromShards(data.paths[0] as string, { seed: 1 })).run(() => {
      n++;
    });
    assert.equal(n, 1000);
    assert.equal(a.yielded, 1000);
  });
});
