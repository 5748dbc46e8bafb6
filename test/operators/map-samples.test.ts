import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { mapSamples } from '../../operators/map-samples.js';
import { SampleError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import { ignoreAndContinue, ignoreAndStop } from '../../sources/handlers.js';
import { createLoader } from '../../sources/loader.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { LINEAGE, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';
import { tempDir } from '../helpers/temp-dir.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

describe('mapSamples', () => {
  it('applies the function in order with the index', async () => {
    const out = await collect(from([1, 2, 3]).pipe(mapSamples((x: number, i) => x * 10 + i)));
    assert.deepEqual(out, [10, 21, 32]);
  });

  it('carries the lineage, __key__ and __url__ onto a new object', async () => {
    const ledger = new RecordingLedger();
    const s = ledger.sample('a', { cls: 3 });
    const [out] = await collect(from([s]).pipe(mapSamples((x: Sample) => ({ label: Number(x.cls) + 1 }))));
    assert.deepEqual({ ...out }, { label: 4, __key__: 'a', __url__: 'mem://test.tar', [LINEAGE]: s[LINEAGE] });
    assert.equal((out as unknown as Sample)[LINEAGE], s[LINEAGE]);
  });

  it('keeps a lineage the result already carries, and passes the same object through untouched', async () => {
    const ledger = new RecordingLedger();
    const a = ledger.sample('a');
    const b = ledger.sample('b');
    const [swapped] = await collect(from([a]).pipe(mapSamples(() => b)));
    assert.equal(swapped, b);
    assert.equal(swapped?.[LINEAGE], b[LINEAGE]);
    assert.notEqual(swapped?.[LINEAGE], a[LINEAGE]);
    const [same] = await collect(from([a]).pipe(mapSamples((x: Sample) => x)));
    assert.equal(same, a);
  });

  it('reports a throwing function as a map SampleError with the key, skipping the sample', async () => {
    const ledger = new RecordingLedger();
    const input = [ledger.sample('a', { v: 1 }), ledger.sample('b', { v: 0 }), ledger.sample('c', { v: 2 })];
    const fn = (s: Sample) => {
      if (s.v === 0) throw new Error('division by zero');
      return { ...s, inv: 1 / (s.v as number) };
    };
    await assert.rejects(collect(from(input).pipe(mapSamples(fn))), (e: unknown) => {
      assert.ok(e instanceof SampleError);
      assert.equal(e.reason, 'map');
      assert.equal(e.key, 'b');
      assert.match(e.message, /division by zero/);
      return true;
    });
    assert.deepEqual(ledger.skippedKeys('map'), ['b']);
    const kept = await collect(from(input).pipe(mapSamples(fn, { handler: ignoreAndContinue })));
    assert.deepEqual(
      kept.map((s) => s.__key__),
      ['a', 'c'],
    );
    const stopped = await collect(from(input).pipe(mapSamples(fn, { handler: 'ignoreAndStop' })));
    assert.deepEqual(
      stopped.map((s) => s.__key__),
      ['a'],
    );
    assert.equal(ignoreAndStop.name, 'ignoreAndStop');
  });

  it('refuses a primitive result for a sample with lineage, and a Promise', async () => {
    const ledger = new RecordingLedger();
    await assert.rejects(
      collect(from([ledger.sample('a')]).pipe(mapSamples(() => 3))),
      /Cannot carry the lineage of a sample through map as the result must be an object.*number/,
    );
    await assert.rejects(
      collect(from([ledger.sample('b')]).pipe(mapSamples(async (s: Sample) => s))),
      /must be synchronous/,
    );
    assert.deepEqual(ledger.skippedKeys('map'), ['a', 'b']);
  });

  it('validates its options when created', () => {
    assert.throws(() => mapSamples(3 as never), {
      name: 'TypeError',
      message: 'Cannot create mapSamples as fn must be a function: current value is 3',
    });
    assert.throws(() => mapSamples((x) => x, { handler: 'sometimes' as never }), TypeError);
  });

  it('releases its source on early unsubscribe and calls nothing after', () => {
    const subject = new Subject<number>();
    let finalized = false;
    let calls = 0;
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        mapSamples((x: number) => (calls++, x)),
      )
      .subscribe();
    subject.next(1);
    sub.unsubscribe();
    subject.next(2);
    assert.equal(finalized, true);
    assert.equal(calls, 1);
  });

  it('matches Array.prototype.map (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (values) => {
        const out: number[] = [];
        from(values)
          .pipe(mapSamples((x: number, i) => x * 3 - i))
          .subscribe((v) => out.push(v));
        assert.deepEqual(
          out,
          values.map((x, i) => x * 3 - i),
        );
      }),
    );
  });

  it('keeps the accounting whole through a real loader when it builds new objects', async () => {
    const dir = tempDir();
    const writer = new ShardWriter(join(dir, 'm-%03d.tar'));
    for (let i = 0; i < 6; i++) await writer.write({ __key__: `s${i}`, cls: i });
    const shards = await writer.close();
    const it = createLoader(
      fromShards(shards, { seed: 1 }),
      mapSamples((s: Sample) => ({ label: Number(String(s.cls)) })),
    ).iterate();
    const got: [string, number][] = [];
    for await (const s of it) got.push([s.__key__, s.label]);
    assert.deepEqual(
      got,
      [0, 1, 2, 3, 4, 5].map((i) => [`s${i}`, i]),
    );
    const acc = it.accounting();
    assert.equal(acc.yielded, 6);
    assert.equal(acc.lost, 0);
  });
});
