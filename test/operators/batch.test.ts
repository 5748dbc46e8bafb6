import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, take, tap, toArray, type Observable } from 'rxjs';
import { batch } from '../../operators/batch.js';
import { SampleError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import { ignoreAndContinue } from '../../sources/handlers.js';
import { createLoader } from '../../sources/loader.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { LINEAGE, lineagesOf, type Batch, type ImageBatch, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';
import { tempDir } from '../helpers/temp-dir.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

function image(h: number, w: number, c: number, start: number): { data: Uint8Array; shape: [number, number, number] } {
  return { data: Uint8Array.from({ length: h * w * c }, (_, i) => (start + i) % 256), shape: [h, w, c] };
}

function samples(ledger: RecordingLedger, n: number): Sample[] {
  return Array.from({ length: n }, (_, i) =>
    ledger.sample(`k${i}`, { png: image(2, 3, 1, i * 10), cls: i, txt: `t${i}` }),
  );
}

describe('batch', () => {
  it('stacks images, collates numbers into a Float64Array and keeps other values as arrays', async () => {
    const ledger = new RecordingLedger();
    const input = samples(ledger, 10);
    const out = await collect(from(input).pipe(batch(4)));
    assert.deepEqual(
      out.map((b) => b.__key__),
      [
        ['k0', 'k1', 'k2', 'k3'],
        ['k4', 'k5', 'k6', 'k7'],
        ['k8', 'k9'],
      ],
    );
    assert.deepEqual(out[0]?.__url__, ['mem://test.tar', 'mem://test.tar', 'mem://test.tar', 'mem://test.tar']);
    const png = out[0]?.png as ImageBatch;
    assert.deepEqual(png.shape, [4, 2, 3, 1]);
    assert.ok(png.data instanceof Uint8Array);
    const expected = new Uint8Array(24);
    for (let i = 0; i < 4; i++) expected.set((input[i]?.png as { data: Uint8Array }).data, i * 6);
    assert.deepEqual(png.data, expected);
    assert.deepEqual(out[2]?.cls, Float64Array.from([8, 9]));
    assert.deepEqual(out[1]?.txt, ['t4', 't5', 't6', 't7']);
    assert.deepEqual((out[2]?.png as ImageBatch).shape, [2, 2, 3, 1]);
  });

  it('carries the lineage of every member, in order', async () => {
    const ledger = new RecordingLedger();
    const input = samples(ledger, 6);
    const out = await collect(from(input).pipe(batch(3)));
    assert.deepEqual(
      out[1]?.[LINEAGE],
      input.slice(3).map((s) => s[LINEAGE]),
    );
    assert.equal(lineagesOf(out[0]).length, 3);
  });

  it('stacks Float32 images into a Float32Array and keeps non-numbers and partial fields as arrays', async () => {
    const ledger = new RecordingLedger();
    const f = (v: number) => ({ data: new Float32Array([v, v + 0.5]), shape: [1, 1, 2] as [number, number, number] });
    const input = [
      ledger.sample('a', { img: f(1), cls: 1, meta: { x: 1 } }),
      ledger.sample('b', { img: f(2), cls: '2' }),
    ];
    const [b] = await collect(from(input).pipe(batch(2)));
    assert.ok((b?.img as ImageBatch).data instanceof Float32Array);
    assert.deepEqual(Array.from((b?.img as ImageBatch).data), [1, 1.5, 2, 2.5]);
    assert.deepEqual(b?.cls, [1, '2']);
    assert.deepEqual(b?.meta, [{ x: 1 }, undefined]);
  });

  it('keeps plain arrays with collate: false', async () => {
    const ledger = new RecordingLedger();
    const input = samples(ledger, 2);
    const [b] = await collect(from(input).pipe(batch(2, { collate: false })));
    assert.deepEqual(b?.png, [input[0]?.png, input[1]?.png]);
    assert.deepEqual(b?.cls, [0, 1]);
  });

  it('collates tuples position by position', async () => {
    const ledger = new RecordingLedger();
    const t = (key: string, v: number) => {
      const s = ledger.sample(key);
      const tuple = Object.assign([image(1, 1, 1, v), v], { [LINEAGE]: s[LINEAGE] });
      Object.defineProperty(tuple, '__key__', { value: key });
      return tuple;
    };
    const [b] = await collect(from([t('a', 1), t('b', 2)]).pipe(batch(2)));
    assert.ok(Array.isArray(b));
    const [images, labels] = b as unknown as [ImageBatch, Float64Array];
    assert.deepEqual(images.shape, [2, 1, 1, 1]);
    assert.deepEqual(Array.from(images.data), [1, 2]);
    assert.deepEqual(labels, Float64Array.from([1, 2]));
    assert.deepEqual(b?.__key__, ['a', 'b']);
    assert.equal(lineagesOf(b).length, 2);
  });

  it('emits the last partial batch by default and settles it as skipped with partial: false', async () => {
    const ledger = new RecordingLedger();
    const keep = await collect(from(samples(ledger, 7)).pipe(batch(3)));
    assert.deepEqual(
      keep.map((b) => b.__key__.length),
      [3, 3, 1],
    );
    assert.deepEqual(ledger.skipped, []);
    const drop = await collect(from(samples(ledger, 7)).pipe(batch(3, { partial: false })));
    assert.deepEqual(
      drop.map((b) => b.__key__.length),
      [3, 3],
    );
    assert.deepEqual(ledger.skippedKeys('partial-batch'), ['k6']);
  });

  it('reports images of different shapes as a collate SampleError through the handler', async () => {
    const ledger = new RecordingLedger();
    const input = [
      ledger.sample('a', { png: image(2, 2, 1, 0) }),
      ledger.sample('b', { png: image(3, 2, 1, 0) }),
      ledger.sample('c', { png: image(2, 2, 1, 0) }),
      ledger.sample('d', { png: image(2, 2, 1, 0) }),
    ];
    await assert.rejects(collect(from(input).pipe(batch(2))), (e: unknown) => {
      assert.ok(e instanceof SampleError);
      assert.equal(e.reason, 'collate');
      assert.equal(e.field, 'png');
      assert.match(
        e.message,
        /Cannot collate field "png" as its images must share one shape and dtype.*uint8 \[2,2,1\].*uint8 \[3,2,1\]/,
      );
      assert.match(e.message, /key "a,b"/);
      return true;
    });
    const ledger2 = new RecordingLedger();
    const input2 = [
      ledger2.sample('a', { png: image(2, 2, 1, 0) }),
      ledger2.sample('b', { png: 3 }),
      ledger2.sample('c', { png: image(2, 2, 1, 0) }),
      ledger2.sample('d', { png: image(2, 2, 1, 0) }),
    ];
    const out = await collect(from(input2).pipe(batch(2, { handler: ignoreAndContinue })));
    assert.deepEqual(
      out.map((b) => b.__key__),
      [['c', 'd']],
    );
    assert.deepEqual(ledger2.skippedKeys('collate'), ['a', 'b']);
  });

  it('refuses a uint8 and a float32 image in one field', async () => {
    const ledger = new RecordingLedger();
    const input = [
      ledger.sample('a', { png: image(1, 1, 1, 0) }),
      ledger.sample('b', { png: { data: new Float32Array(1), shape: [1, 1, 1] } }),
    ];
    await assert.rejects(collect(from(input).pipe(batch(2))), /uint8 \[1,1,1\].*float32 \[1,1,1\]/);
  });

  it('validates its options when created', () => {
    assert.throws(() => batch(0), {
      name: 'RangeError',
      message: 'Cannot create a batch as size must be >= 1: current value is 0',
    });
    assert.throws(() => batch(2.5), RangeError);
    assert.throws(() => batch('4' as unknown as number), TypeError);
    assert.throws(() => batch(4, { partial: 'no' as unknown as boolean }), /partial must be a boolean/);
    assert.throws(() => batch(4, { collate: 1 as unknown as boolean }), /collate must be a boolean/);
    assert.throws(() => batch(4, { handler: 'nope' as never }), TypeError);
    assert.equal(batch(64).ndaflowHolds, 64);
  });

  it('releases its source on early unsubscribe and emits nothing after', () => {
    const ledger = new RecordingLedger();
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Batch[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        batch(2),
      )
      .subscribe((b) => seen.push(b));
    for (const s of samples(ledger, 3)) subject.next(s);
    assert.equal(seen.length, 1);
    sub.unsubscribe();
    assert.equal(finalized, true);
    assert.equal(subject.observed, false);
    subject.next(ledger.sample('late'));
    subject.complete();
    assert.equal(seen.length, 1);
    assert.deepEqual(ledger.skipped, []);
  });

  it('stops reading when downstream takes fewer batches', async () => {
    const ledger = new RecordingLedger();
    let pulled = 0;
    let finalized = false;
    const out = await collect(
      from(samples(ledger, 20)).pipe(
        tap(() => pulled++),
        finalize(() => (finalized = true)),
        batch(3),
        take(2),
      ),
    );
    assert.deepEqual(
      out.map((b) => b.__key__),
      [
        ['k0', 'k1', 'k2'],
        ['k3', 'k4', 'k5'],
      ],
    );
    assert.ok(pulled <= 7, `pulled ${pulled} samples for 6`); // the one after the 6th tells the stage it is closed
    assert.equal(finalized, true);
  });

  it('matches a reference chunking for any input and size (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        (values, size, partial) => {
          const ledger = new RecordingLedger();
          const input = values.map((v, i) => ledger.sample(`s${i}`, { v }));
          const out: Batch[] = [];
          from(input)
            .pipe(batch(size, { partial }))
            .subscribe((b) => out.push(b));
          const expected: number[][] = [];
          for (let i = 0; i < values.length; i += size) expected.push(values.slice(i, i + size));
          if (!partial && expected.length > 0 && (expected[expected.length - 1] as number[]).length < size)
            expected.pop();
          assert.deepEqual(
            out.map((b) => Array.from(b.v as Float64Array)),
            expected,
          );
          assert.equal(ledger.skippedKeys('partial-batch').length, partial ? 0 : values.length % size);
        },
      ),
    );
  });

  it('accounts for the dropped partial batch through a real loader', async () => {
    const dir = tempDir();
    const writer = new ShardWriter(join(dir, 'b-%03d.tar'), { maxSamples: 5 });
    for (let i = 0; i < 10; i++)
      await writer.write({ __key__: `s${String(i).padStart(3, '0')}`, cls: i, txt: `x${i}` });
    const shards = await writer.close();
    assert.equal(shards.length, 2);
    const loader = createLoader(fromShards(shards, { seed: 1 }), batch(4, { partial: false }));
    const it = loader.iterate();
    const sizes: number[] = [];
    for await (const b of it) sizes.push(b.__key__.length);
    assert.deepEqual(sizes, [4, 4]);
    const acc = it.accounting();
    assert.equal(acc.seen, 10);
    assert.equal(acc.yielded, 8);
    assert.deepEqual(acc.skipped, { 'partial-batch': 2 });
    assert.equal(acc.inFlight, 0);
    assert.equal(acc.lost, 0);
  });
});
