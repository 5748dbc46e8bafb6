import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, range, take, tap, toArray, type Observable } from 'rxjs';
import { shuffle } from '../../operators/shuffle.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { tempDir } from '../helpers/temp-dir.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));
const run = (n: number, size: number, seed: number, initial?: number): Promise<number[]> =>
  collect(range(0, n).pipe(shuffle<number>(size, { seed, initial })));

describe('shuffle', () => {
  it('gives the same order for the same seed and another for another seed', async () => {
    const a = await run(200, 50, 1);
    const b = await run(200, 50, 1);
    const c = await run(200, 50, 2);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.notDeepEqual(
      a,
      [...a].sort((x, y) => x - y),
      'it shuffles',
    );
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      Array.from({ length: 200 }, (_, i) => i),
    );
  });

  it('gives nothing out before the buffer holds initial items, then drains it at the end', () => {
    const subject = new Subject<number>();
    const out: number[] = [];
    let done = false;
    subject
      .pipe(shuffle<number>(10, { seed: 3, initial: 4 }))
      .subscribe({ next: (x) => out.push(x), complete: () => (done = true) });
    for (let i = 0; i < 3; i++) subject.next(i);
    assert.equal(out.length, 0);
    subject.next(3);
    assert.equal(out.length, 1);
    for (let i = 4; i < 8; i++) subject.next(i);
    assert.equal(out.length, 3, 'the buffer grows by one per item given out until size (WebDataset initial)');
    subject.complete();
    assert.equal(done, true);
    assert.deepEqual(
      [...out].sort((x, y) => x - y),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
  });

  it('moves an item at most size places earlier (a buffer, not a full shuffle)', async () => {
    const out = await run(300, 8, 5);
    out.forEach((x, i) => assert.ok(x - i < 8, `item ${x} at ${i}`));
  });

  it('declares what it holds, and validates its options when created', () => {
    assert.equal(shuffle(500, { seed: 1 }).ndaflowHolds, 500);
    assert.throws(() => shuffle(0, { seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a shuffle as size must be >= 1: current value is 0',
    });
    assert.throws(() => shuffle(10, { seed: 1, initial: 0 }), RangeError);
    assert.throws(() => shuffle(10, { seed: -1 }), RangeError);
    assert.throws(() => shuffle(10, { seed: 'x' as never }), TypeError);
    let picked: number | undefined;
    shuffle(10, { onSeed: (s) => (picked = s) });
    assert.equal(typeof picked, 'number');
  });

  it('releases its source and buffer on early unsubscribe, and emits nothing after', () => {
    const subject = new Subject<number>();
    let finalized = false;
    const out: number[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        shuffle<number>(3, { seed: 1 }),
      )
      .subscribe((x) => out.push(x));
    for (let i = 0; i < 5; i++) subject.next(i);
    assert.equal(out.length, 3);
    sub.unsubscribe();
    assert.equal(finalized, true);
    subject.next(5);
    subject.complete();
    assert.equal(out.length, 3, 'the buffer is not drained after unsubscribe');
  });

  it('stops pulling a synchronous source when downstream is done', async () => {
    let pulled = 0;
    let finalized = false;
    const out = await collect(
      range(0, 1e9).pipe(
        tap(() => pulled++),
        finalize(() => (finalized = true)),
        shuffle<number>(4, { seed: 1 }),
        take(3),
      ),
    );
    assert.equal(out.length, 3);
    assert.ok(finalized);
    assert.ok(pulled <= 7, `pulled ${pulled}`);
  });

  it('outputs a permutation of its input for any input, size, initial and seed (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 60 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (values, size, initial, seed) => {
          const out: number[] = [];
          let completed = false;
          range(0, values.length)
            .pipe(shuffle<number>(size, { seed, initial }))
            .subscribe({ next: (i) => out.push(values[i] as number), complete: () => (completed = true) });
          assert.ok(completed);
          assert.deepEqual(
            [...out].sort((a, b) => a - b),
            [...values].sort((a, b) => a - b),
          );
        },
      ),
    );
  });

  it('settles every sample through a real loader', async () => {
    const dir = tempDir();
    const writer = new ShardWriter(join(dir, 'sh-%03d.tar'), { maxSamples: 10 });
    for (let i = 0; i < 30; i++) await writer.write({ __key__: `s${String(i).padStart(2, '0')}`, cls: i });
    const shards = await writer.close();
    const keys = async (seed: number) => {
      const it = createLoader(fromShards(shards, { seed: 1 }), shuffle(8, { seed })).iterate();
      const out: string[] = [];
      for await (const s of it) out.push(s.__key__);
      const acc = it.accounting();
      assert.equal(acc.yielded, 30);
      assert.equal(acc.lost, 0);
      assert.equal(acc.inFlight, 0);
      return out;
    };
    const a = await keys(9);
    assert.deepEqual(await keys(9), a);
    assert.notDeepEqual(await keys(10), a);
    assert.equal(new Set(a).size, 30);
  });
});
