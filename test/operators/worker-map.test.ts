import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Subject, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import type { Piscina } from 'piscina';
import { workerMap } from '../../operators/worker-map.js';
import { SampleError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { LINEAGE, type Image, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURE = new URL('../fixtures/worker-map-fixture.js', import.meta.url);
const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));
const T = { timeout: 30_000 };

function image(v: number): Image {
  return { data: Uint8Array.from([v, v + 1, v + 2, v + 3]), shape: [2, 2, 1] };
}

/** Records each pool and its threads (created up front: minThreads = threads). */
function poolSpy(): { onPool: (p: Piscina) => void; pools: Piscina[]; workers: Worker[] } {
  const spy = { pools: [] as Piscina[], workers: [] as Worker[], onPool: (_: Piscina): void => undefined };
  spy.onPool = (p) => {
    spy.pools.push(p);
    spy.workers.push(...p.threads);
  };
  return spy;
}

/** Resolves once every thread has exited (a thread that never exits fails the test by its timeout). */
async function allExited(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.filter((w) => w.threadId >= 0).map((w) => once(w, 'exit')));
  for (const w of workers) assert.equal(w.threadId, -1);
}

describe('workerMap', () => {
  it(
    'maps in worker threads, in order, keeping key, url and lineage, and ends its threads on complete',
    T,
    async () => {
      const ledger = new RecordingLedger();
      const input = Array.from({ length: 12 }, (_, i) => ledger.sample(`k${i}`, { png: image(i * 10), cls: i }));
      const expected = input.map((s) => Array.from(s.png.data, (v) => 255 - v));
      const spy = poolSpy();
      const out = await collect(
        from(input).pipe(workerMap<Sample, Sample>(FIXTURE, { concurrency: 3, threads: 2, onPool: spy.onPool })),
      );
      assert.deepEqual(
        out.map((s) => s.__key__),
        input.map((s) => s.__key__),
      );
      out.forEach((s, i) => {
        assert.deepEqual(Array.from((s.png as Image).data), expected[i]);
        assert.deepEqual((s.png as Image).shape, [2, 2, 1]);
        assert.equal(s.__url__, 'mem://test.tar');
        assert.equal(s.cls, i);
        assert.equal(s[LINEAGE], input[i]?.[LINEAGE]);
        assert.ok((s.thread as number) > 0, 'ran in a worker thread');
      });
      assert.equal(spy.pools.length, 1);
      assert.equal(spy.workers.length, 2);
      await allExited(spy.workers);
      assert.equal(spy.pools[0]?.threads.length, 0);
    },
  );

  it('moves whole buffers to the worker and back instead of copying them', T, async () => {
    const ledger = new RecordingLedger();
    const img = image(1);
    const pooled = Buffer.from('small'); // a view of Node's shared pool: copied, not moved
    const input = [ledger.sample('a', { png: img, raw: pooled }), ledger.sample('b'), ledger.sample('c')];
    const out = await collect(
      from(input).pipe(workerMap<Sample, Sample>(FIXTURE, { exportName: 'fresh', concurrency: 1 })),
    );
    assert.equal(img.data.byteLength, 0, 'the image buffer was moved to the worker (detached here)');
    assert.equal(pooled.toString(), 'small', 'a partial view is copied');
    assert.deepEqual(
      out.map((s) => s.previousDetached),
      [null, true, true],
      'results were moved back (detached in the worker)',
    );
    assert.deepEqual(Array.from(out[0]?.out as Uint8Array), new Array(64).fill(7));
    assert.deepEqual(
      out[0]?.received,
      ['__key__', '__url__', 'png', 'raw', '__epoch__'],
      'only string keys cross, plus the epoch of the lineage',
    );
  });

  it('puts key, url and lineage back on a result that lacks them', T, async () => {
    const ledger = new RecordingLedger();
    const s = ledger.sample('a', { n: 21 });
    const [out] = await collect(
      from([s]).pipe(workerMap<Sample, Sample>(FIXTURE, { exportName: 'bare', concurrency: 1 })),
    );
    assert.deepEqual({ ...out }, { doubled: 42, __key__: 'a', __url__: 'mem://test.tar', [LINEAGE]: s[LINEAGE] });
  });

  it('reports an error thrown in the worker as a worker-map SampleError through the handler', T, async () => {
    const ledger = new RecordingLedger();
    const input = ['k0', 'bad1', 'k2', 'bad3', 'k4'].map((k) => ledger.sample(k));
    const spy = poolSpy();
    await assert.rejects(
      collect(from(input).pipe(workerMap(FIXTURE, { exportName: 'failOnBad', concurrency: 2, onPool: spy.onPool }))),
      (e: unknown) => {
        assert.ok(e instanceof SampleError);
        assert.equal(e.reason, 'worker-map');
        assert.equal(e.key, 'bad1');
        assert.match(e.message, /bad sample bad1/);
        assert.equal((e.cause as Error).name, 'RangeError');
        return true;
      },
    );
    await allExited(spy.workers);
    const out = await collect(
      from(input).pipe(
        workerMap<Sample, Sample>(FIXTURE, { exportName: 'failOnBad', concurrency: 2, handler: 'ignoreAndContinue' }),
      ),
    );
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['k0', 'k2', 'k4'],
    );
    assert.deepEqual(ledger.skippedKeys('worker-map'), ['bad1', 'bad1', 'bad3']);
  });

  it('refuses a primitive result for a sample with lineage', T, async () => {
    const ledger = new RecordingLedger();
    await assert.rejects(
      collect(from([ledger.sample('a')]).pipe(workerMap(FIXTURE, { exportName: 'primitive', concurrency: 1 }))),
      (e: unknown) => e instanceof SampleError && /result must be an object/.test(e.message),
    );
  });

  it('errors the stream, whatever the handler, when the export is not a function', T, async () => {
    const ledger = new RecordingLedger();
    const spy = poolSpy();
    await assert.rejects(
      collect(
        from([ledger.sample('a'), ledger.sample('b')]).pipe(
          workerMap(FIXTURE, {
            exportName: 'notAFunction',
            concurrency: 1,
            handler: 'ignoreAndContinue',
            onPool: spy.onPool,
          }),
        ),
      ),
      (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(
          e.message,
          /Cannot run a worker map as its module must load and export a function: Cannot use export "notAFunction" of file:.*worker-map-fixture\.js as it must be a function: it is number/,
        );
        return true;
      },
    );
    await allExited(spy.workers);
  });

  it('keeps at most concurrency items in the stage', T, async () => {
    const ledger = new RecordingLedger();
    let outstanding = 0;
    let most = 0;
    const onPool = (pool: Piscina) => {
      const run = pool.run.bind(pool);
      pool.run = (task, options) => {
        outstanding++;
        most = Math.max(most, outstanding);
        return run(task, options).finally(() => outstanding--);
      };
    };
    const input = Array.from({ length: 10 }, (_, i) => ledger.sample(`k${i}`, { wait: 5 }));
    const out = await collect(
      from(input).pipe(workerMap<Sample, Sample>(FIXTURE, { exportName: 'slow', concurrency: 3, threads: 1, onPool })),
    );
    assert.equal(most, 3);
    assert.deepEqual(
      out.map((s) => s.__key__),
      input.map((s) => s.__key__),
    );
    assert.ok(out.every((s) => (s.maxRunning as number) <= 3));
    assert.equal(workerMap(FIXTURE, { concurrency: 7 }).ndaflowHolds, 7);
  });

  it('gives every item with ordered: false', T, async () => {
    const ledger = new RecordingLedger();
    const input = Array.from({ length: 8 }, (_, i) => ledger.sample(`k${i}`, { wait: i % 2 ? 1 : 15 }));
    const out = await collect(
      from(input).pipe(
        workerMap<Sample, Sample>(FIXTURE, { exportName: 'slow', concurrency: 4, threads: 2, ordered: false }),
      ),
    );
    assert.deepEqual(out.map((s) => s.__key__).sort(), input.map((s) => s.__key__).sort());
    for (const s of out) assert.equal(s[LINEAGE], input.find((x) => x.__key__ === s.__key__)?.[LINEAGE]);
  });

  it('destroys its pool on early unsubscribe and emits nothing after', T, async () => {
    const ledger = new RecordingLedger();
    const subject = new Subject<Sample>();
    const spy = poolSpy();
    const seen: Sample[] = [];
    const sub = subject
      .pipe(workerMap<Sample, Sample>(FIXTURE, { exportName: 'slow', concurrency: 2, threads: 2, onPool: spy.onPool }))
      .subscribe((s) => seen.push(s));
    subject.next(ledger.sample('a', { wait: 1 }));
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    subject.next(ledger.sample('b', { wait: 50 }));
    subject.next(ledger.sample('c', { wait: 50 }));
    sub.unsubscribe();
    assert.equal(subject.observed, false);
    await allExited(spy.workers);
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(
      seen.map((s) => s.__key__),
      ['a'],
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => workerMap('/no/such/module.mjs'), {
      name: 'RangeError',
      message: 'Cannot create a worker map as the module must exist: current value is "/no/such/module.mjs"',
    });
    assert.throws(() => workerMap(3 as never), TypeError);
    assert.throws(() => workerMap('https://example.com/x.mjs'), /must be a local file/);
    assert.throws(() => workerMap(FIXTURE, { concurrency: 0 }), RangeError);
    assert.throws(() => workerMap(FIXTURE, { concurrency: 2, threads: 3 }), /threads must be in \[1, 2\]/);
    assert.throws(() => workerMap(FIXTURE, { exportName: '' }), TypeError);
    assert.throws(() => workerMap(FIXTURE, { ordered: 'yes' as never }), TypeError);
  });

  it('accounts for every sample through a real loader', T, async () => {
    const dir = tempDir();
    const writer = new ShardWriter(join(dir, 'w-%03d.tar'), { maxSamples: 4 });
    for (const k of ['s0', 's1', 'bad2', 's3', 's4', 's5', 'bad6', 's7', 's8'])
      await writer.write({ __key__: k, cls: k.length });
    const shards = await writer.close();
    const spy = poolSpy();
    const it = createLoader(
      fromShards(shards, { seed: 1 }),
      workerMap(FIXTURE, { exportName: 'failOnBad', concurrency: 2, handler: 'ignoreAndContinue', onPool: spy.onPool }),
    ).iterate();
    const keys: string[] = [];
    for await (const s of it) {
      keys.push(s.__key__);
      assert.ok(s.cls instanceof Uint8Array, 'raw fields come back as bytes');
    }
    assert.deepEqual(keys, ['s0', 's1', 's3', 's4', 's5', 's7', 's8']);
    const acc = it.accounting();
    assert.equal(acc.seen, 9);
    assert.equal(acc.yielded, 7);
    assert.deepEqual(acc.skipped, { 'worker-map': 2 });
    assert.equal(acc.lost, 0);
    await allExited(spy.workers);
  });
});
