import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { filterSamples } from '../../operators/filter-samples.js';
import { SampleError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import type { Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';
import { tempDir } from '../helpers/temp-dir.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

describe('filterSamples', () => {
  it('keeps the items the predicate accepts and settles the others as skipped under the reason', async () => {
    const ledger = new RecordingLedger();
    const input = [0, 1, 2, 3, 4].map((i) => ledger.sample(`k${i}`, { cls: i }));
    const out = await collect(from(input).pipe(filterSamples((s: Sample) => (s.cls as number) % 2 === 0)));
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['k0', 'k2', 'k4'],
    );
    assert.equal(out[0], input[0]);
    assert.deepEqual(ledger.skippedKeys('filtered'), ['k1', 'k3']);
    await collect(from(input).pipe(filterSamples((s: Sample) => s.cls !== 4, { reason: 'class-4' })));
    assert.deepEqual(ledger.skippedKeys('class-4'), ['k4']);
  });

  it('passes the index to the predicate', async () => {
    const out = await collect(from(['a', 'b', 'c', 'd']).pipe(filterSamples((_: string, i) => i >= 2)));
    assert.deepEqual(out, ['c', 'd']);
  });

  it('reports a throwing predicate as a filter SampleError through the handler', async () => {
    const ledger = new RecordingLedger();
    const input = [ledger.sample('a'), ledger.sample('b'), ledger.sample('c')];
    const predicate = (s: Sample) => {
      if (s.__key__ === 'b') throw new Error('no b');
      return true;
    };
    await assert.rejects(
      collect(from(input).pipe(filterSamples(predicate))),
      (e: unknown) => e instanceof SampleError && e.reason === 'filter' && e.key === 'b',
    );
    const out = await collect(from(input).pipe(filterSamples(predicate, { handler: 'ignoreAndContinue' })));
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['a', 'c'],
    );
    assert.deepEqual(ledger.skippedKeys('filter'), ['b', 'b']);
  });

  it('validates its options when created', () => {
    assert.throws(() => filterSamples(null as never), {
      name: 'TypeError',
      message: 'Cannot create filterSamples as predicate must be a function: current value is null',
    });
    assert.throws(() => filterSamples(() => true, { reason: '' }), {
      name: 'RangeError',
      message: 'Cannot create filterSamples as reason must not be empty: current value is ""',
    });
    assert.throws(() => filterSamples(() => true, { reason: 3 as never }), TypeError);
  });

  it('releases its source on early unsubscribe and calls nothing after', () => {
    const subject = new Subject<number>();
    let finalized = false;
    let calls = 0;
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        filterSamples(() => (calls++, true)),
      )
      .subscribe();
    subject.next(1);
    sub.unsubscribe();
    subject.next(2);
    assert.equal(finalized, true);
    assert.equal(calls, 1);
    assert.equal(subject.observed, false);
  });

  it('matches Array.prototype.filter and settles exactly the rejected items (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 })),
        fc.integer({ min: -50, max: 50 }),
        (values, threshold) => {
          const ledger = new RecordingLedger();
          const input = values.map((v, i) => ledger.sample(`k${i}`, { v }));
          const out: Sample[] = [];
          from(input)
            .pipe(filterSamples((s: Sample) => (s.v as number) > threshold))
            .subscribe((s) => out.push(s));
          assert.deepEqual(
            out.map((s) => s.v),
            values.filter((v) => v > threshold),
          );
          assert.deepEqual(
            ledger.skippedKeys('filtered'),
            input.filter((s) => s.v <= threshold).map((s) => s.__key__),
          );
        },
      ),
    );
  });

  it('accounts for the dropped samples through a real loader', async () => {
    const dir = tempDir();
    const writer = new ShardWriter(join(dir, 'f-%03d.tar'), { maxSamples: 4 });
    for (let i = 0; i < 10; i++) await writer.write({ __key__: `s${i}`, cls: i });
    const shards = await writer.close();
    const it = createLoader(
      fromShards(shards, { seed: 1 }),
      filterSamples((s: Sample) => Number(String(s.cls)) % 3 === 0, { reason: 'not-div-3' }),
    ).iterate();
    const keys: string[] = [];
    for await (const s of it) keys.push(s.__key__);
    assert.deepEqual(keys, ['s0', 's3', 's6', 's9']);
    const acc = it.accounting();
    assert.equal(acc.seen, 10);
    assert.equal(acc.yielded, 4);
    assert.deepEqual(acc.skipped, { 'not-div-3': 6 });
    assert.equal(acc.lost, 0);
  });
});
