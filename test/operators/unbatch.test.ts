import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { batch } from '../../operators/batch.js';
import { unbatch } from '../../operators/unbatch.js';
import { SampleError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import { ignoreAndContinue } from '../../sources/handlers.js';
import { createLoader } from '../../sources/loader.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { LINEAGE, type Batch, type Image, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';
import { tempDir } from '../helpers/temp-dir.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

function image(v: number): Image {
  return { data: Uint8Array.from([v, v + 1, v + 2, v + 3]), shape: [1, 2, 2] };
}

describe('unbatch', () => {
  it('splits a batch back into its samples, with their lineage', async () => {
    const ledger = new RecordingLedger();
    const input = [0, 1, 2, 3, 4].map((i) => ledger.sample(`k${i}`, { png: image(i * 10), cls: i, txt: `t${i}` }));
    const out = await collect(from(input).pipe(batch(2), unbatch()));
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['k0', 'k1', 'k2', 'k3', 'k4'],
    );
    out.forEach((s, i) => {
      const src = input[i] as Sample;
      assert.equal(s.__url__, 'mem://test.tar');
      assert.equal(s[LINEAGE], src[LINEAGE]);
      assert.deepEqual(Array.from((s.png as Image).data), Array.from((src.png as Image).data));
      assert.deepEqual((s.png as Image).shape, [1, 2, 2]);
      assert.equal(s.cls, i);
      assert.equal(s.txt, `t${i}`);
    });
  });

  it('gives images as views of the stacked array (no copy)', async () => {
    const ledger = new RecordingLedger();
    const b: Batch = {
      __key__: ['a', 'b'],
      __url__: ['u', 'u'],
      png: { data: Uint8Array.from([1, 2, 3, 4]), shape: [2, 1, 2, 1] },
    };
    b[LINEAGE] = [ledger.sample('a')[LINEAGE], ledger.sample('b')[LINEAGE]] as never;
    const [a, second] = await collect(from([b]).pipe(unbatch()));
    const stacked = (b.png as Image).data;
    assert.equal((a?.png as Image).data.buffer, stacked.buffer);
    assert.deepEqual(Array.from((second?.png as Image).data), [3, 4]);
    assert.deepEqual((second?.png as Image).shape, [1, 2, 1]);
  });

  it('gives a value set for the whole batch to every member', async () => {
    const b: Batch = { __key__: ['a', 'b'], __url__: ['u1', 'u2'], lambda: 0.25 };
    const out = await collect(from([b]).pipe(unbatch()));
    assert.deepEqual(
      out.map((s) => [s.__key__, s.__url__, s.lambda]),
      [
        ['a', 'u1', 0.25],
        ['b', 'u2', 0.25],
      ],
    );
  });

  it('turns a batch of tuples back into tuples', async () => {
    const cols = [{ data: Uint8Array.from([1, 2]), shape: [2, 1, 1, 1] }, Float64Array.from([7, 8])];
    Object.defineProperties(cols, { __key__: { value: ['a', 'b'] }, __url__: { value: ['u', 'u'] } });
    const out = await collect(from([cols]).pipe(unbatch()));
    assert.equal(out.length, 2);
    assert.ok(Array.isArray(out[1]));
    const [img, label] = out[1] as unknown as [Image, number];
    assert.deepEqual(Array.from(img.data), [2]);
    assert.equal(label, 8);
    assert.equal(out[1]?.__key__, 'b');
  });

  it('reports a field of the wrong length, and a non-batch, as unbatch errors through the handler', async () => {
    const ledger = new RecordingLedger();
    const bad: Batch = { __key__: ['a', 'b'], __url__: ['u', 'u'], cls: Float64Array.from([1, 2, 3]) };
    bad[LINEAGE] = [ledger.sample('a')[LINEAGE], ledger.sample('b')[LINEAGE]] as never;
    await assert.rejects(collect(from([bad]).pipe(unbatch())), (e: unknown) => {
      assert.ok(e instanceof SampleError);
      assert.equal(e.reason, 'unbatch');
      assert.match(e.message, /field "cls" holds 3 values for 2 members/);
      return true;
    });
    assert.deepEqual(ledger.skippedKeys('unbatch'), ['a', 'b']);
    const good: Batch = { __key__: ['c'], __url__: ['u'], cls: [1] };
    const out = await collect(
      from([ledger.sample('x', { not: 'a batch' }) as unknown, good]).pipe(unbatch({ handler: ignoreAndContinue })),
    );
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['c'],
    );
    assert.deepEqual(ledger.skippedKeys('unbatch'), ['a', 'b', 'x']);
  });

  it('releases its source on early unsubscribe and emits nothing after', () => {
    const subject = new Subject<Batch>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        unbatch(),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: ['a', 'b'], __url__: ['u', 'u'] });
    sub.unsubscribe();
    subject.next({ __key__: ['c'], __url__: ['u'] });
    assert.equal(finalized, true);
    assert.deepEqual(
      seen.map((s) => s.__key__),
      ['a', 'b'],
    );
  });

  it('is the inverse of batch for any values and size (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ n: fc.double({ noNaN: true }), s: fc.string(), px: fc.integer({ min: 0, max: 255 }) }), {
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 8 }),
        (rows, size) => {
          const ledger = new RecordingLedger();
          const input = rows.map((r, i) =>
            ledger.sample(`k${i}`, {
              n: r.n,
              s: r.s,
              img: { data: Uint8Array.from([r.px, 255 - r.px]), shape: [1, 1, 2] },
            }),
          );
          const out: Sample[] = [];
          from(input)
            .pipe(batch(size), unbatch())
            .subscribe((s) => out.push(s));
          assert.equal(out.length, input.length);
          out.forEach((s, i) => {
            const src = input[i] as Sample;
            assert.equal(s.__key__, src.__key__);
            assert.equal(s[LINEAGE], src[LINEAGE]);
            assert.ok(Object.is(s.n, src.n));
            assert.equal(s.s, src.s);
            assert.deepEqual(Array.from((s.img as Image).data), Array.from((src.img as Image).data));
          });
        },
      ),
    );
  });

  it('settles every sample on its own through a real loader', async () => {
    const dir = tempDir();
    const writer = new ShardWriter(join(dir, 'u-%03d.tar'), { maxSamples: 4 });
    for (let i = 0; i < 9; i++) await writer.write({ __key__: `s${i}`, cls: i });
    const shards = await writer.close();
    const it = createLoader(fromShards(shards, { seed: 1 }), batch(4), unbatch()).iterate();
    const keys: string[] = [];
    for await (const s of it) keys.push(s.__key__);
    assert.deepEqual(keys, ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']);
    const acc = it.accounting();
    assert.equal(acc.yielded, 9);
    assert.equal(acc.lost, 0);
    assert.equal(acc.inFlight, 0);
  });
});
