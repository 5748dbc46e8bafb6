import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Subject, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import type { Piscina } from 'piscina';
import sharp from 'sharp';
import { batch } from '../../operators/batch.js';
import { decode } from '../../operators/decode.js';
import { ndaPairs, type NdaPair, type NdaPairsOptions } from '../../operators/nda-pairs.js';
import { createNdaTransform } from '../../operators/internal/nda-transforms.js';
import type { NdaTransform } from '../../operators/internal/nda-transform.js';
import { SampleError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { LINEAGE, type Batch, type ImageBatch } from '../../sources/sample.js';
import { batchOf, keysOf, pixels, sameImages } from '../helpers/nda-batch.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';
import { tempDir } from '../helpers/temp-dir.js';

const T = { timeout: 60_000 };
const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));
const pairsOf = (batches: readonly Batch[], options: NdaPairsOptions): Promise<NdaPair[]> =>
  collect(from(batches).pipe(ndaPairs(options)));
/** Forces every batch onto the pool. */
const POOL = { workers: 2, mainThreadMaxBytes: 0 } as const;

/** `count` batches of `n` 8x8 RGB images, keys unique across batches, each with a `cls` column. */
function batches(ledger: RecordingLedger, count: number, n = 6, size = 8, pass = 0): Batch[] {
  return Array.from({ length: count }, (_, b) =>
    batchOf(
      ledger,
      keysOf(n, `b${b}-`),
      { png: pixels([n, size, size, 3], 'uint8', b + 1), cls: Float64Array.from({ length: n }, (_, i) => i) },
      pass,
    ),
  );
}

/** Records each pool and its threads (created up front: minThreads = threads), and the tasks sent. */
function poolSpy(): {
  onPool: (p: Piscina) => void;
  pools: Piscina[];
  workers: Worker[];
  tasks: { data: Uint8Array }[];
} {
  const spy = {
    pools: [] as Piscina[],
    workers: [] as Worker[],
    tasks: [] as { data: Uint8Array }[],
    onPool: (_: Piscina): void => undefined,
  };
  spy.onPool = (p) => {
    spy.pools.push(p);
    spy.workers.push(...p.threads);
    const run = p.run.bind(p);
    p.run = ((task: { data: Uint8Array }, options?: object) => {
      spy.tasks.push(task);
      return run(task, options);
    }) as typeof p.run;
  };
  return spy;
}

async function allExited(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.filter((w) => w.threadId >= 0).map((w) => once(w, 'exit')));
  for (const w of workers) assert.equal(w.threadId, -1);
}

/** What identifies a pair's negatives: the transform, the partners, the pixels. */
function fingerprint(p: NdaPair): string {
  const img = p.negative.png as ImageBatch;
  return `${p.real.__key__.join()}|${p.negative.__nda__.join()}|${p.negative.__partner__?.join() ?? '-'}|${Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).toString('base64')}`;
}

describe('ndaPairs', () => {
  it(
    'pairs each batch with its negatives: same keys and urls, image field replaced, __nda__ and __partner__, lineage once on the pair',
    T,
    async () => {
      const ledger = new RecordingLedger();
      const input = batches(ledger, 2);
      const pairs = await pairsOf(input, { transforms: 'stitch', seed: 7, workers: 0 });
      assert.equal(pairs.length, 2);
      pairs.forEach((pair, b) => {
        const real = input[b] as Batch;
        assert.equal(pair.real, real, 'the real batch is passed on as it came');
        assert.equal(pair[LINEAGE], real[LINEAGE], 'the pair carries the batch lineage');
        assert.equal(
          Object.getOwnPropertySymbols(pair.negative).length,
          0,
          'the negative carries no lineage of its own',
        );
        assert.deepEqual(pair.negative.__key__, real.__key__);
        assert.deepEqual(pair.negative.__url__, real.__url__);
        assert.equal(pair.negative.cls, real.cls, 'other fields are shared');
        assert.deepEqual(pair.negative.__nda__, new Array(6).fill('stitch'));
        // The negatives are exactly what the transform makes of the batch, and name its partners.
        const expected = createNdaTransform('stitch', {}).apply(real.png as ImageBatch, {
          seed: 7,
          epoch: 0,
          keys: real.__key__,
        });
        assert.ok(sameImages(pair.negative.png as ImageBatch, expected.images));
        assert.deepEqual(
          pair.negative.__partner__,
          Array.from(expected.partners as Int32Array, (j) => real.__key__[j]),
        );
        for (const [i, k] of pair.negative.__partner__.entries()) assert.notEqual(k, real.__key__[i]);
        assert.ok(!sameImages(pair.negative.png as ImageBatch, real.png as ImageBatch));
      });
      const jig = await pairsOf(batches(new RecordingLedger(), 1), { transforms: 'jigsaw', seed: 7, workers: 0 });
      assert.equal(jig[0]?.negative.__partner__, undefined, 'a transform that mixes nothing names no partner');
    },
  );

  it('on the main thread, emits a pair as soon as its batch arrives (not when the next one comes)', () => {
    const subject = new Subject<Batch>();
    const seen: NdaPair[] = [];
    let completed = false;
    subject
      .pipe(ndaPairs({ transforms: 'cutout', seed: 1, workers: 0 }))
      .subscribe({ next: (p) => seen.push(p), complete: () => (completed = true) });
    const input = batches(new RecordingLedger(), 2);
    subject.next(input[0] as Batch);
    assert.equal(seen.length, 1);
    subject.next(input[1] as Batch);
    assert.equal(seen.length, 2);
    subject.complete();
    assert.ok(completed);
  });

  it(
    'computes the same negatives whatever workers, concurrency and order (same seed), others with another seed',
    T,
    async () => {
      const mixture = [{ name: 'jigsaw', options: { k: 2 }, weight: 2 }, { name: 'stitch' }, { name: 'cutmix' }];
      const runOf = async (options: Partial<NdaPairsOptions>) => {
        const out = await pairsOf(batches(new RecordingLedger(), 8), { transforms: mixture, seed: 11, ...options });
        return out.map(fingerprint);
      };
      const reference = await runOf({ workers: 0 });
      assert.equal(reference.length, 8);
      assert.deepEqual(await runOf({ ...POOL, concurrency: 1 }), reference);
      assert.deepEqual(await runOf({ ...POOL, concurrency: 4 }), reference);
      assert.deepEqual(
        (await runOf({ workers: 1, mainThreadMaxBytes: 0, concurrency: 3, ordered: false })).sort(),
        [...reference].sort(),
      );
      assert.deepEqual(await runOf({ workers: 'auto', concurrency: 2 }), reference);
      const other = await runOf({ workers: 0, seed: 12 });
      assert.notDeepEqual(other, reference);
    },
  );

  it('chooses one transform per batch, by weight, from the batch (seed, epoch, keys)', T, async () => {
    const ledger = new RecordingLedger();
    const input = batches(ledger, 400, 2, 4);
    const pairs = await pairsOf(input, {
      transforms: [
        { name: 'jigsaw', weight: 3 },
        { name: 'cutout', weight: 1 },
      ],
      seed: 5,
      workers: 0,
    });
    assert.equal(pairs.length, 400);
    const names = pairs.map((p) => {
      assert.equal(new Set(p.negative.__nda__).size, 1, 'one transform for the whole batch');
      return p.negative.__nda__[0];
    });
    const jigsaws = names.filter((n) => n === 'jigsaw').length;
    assert.equal(jigsaws + names.filter((n) => n === 'cutout').length, 400);
    assert.ok(jigsaws > 260 && jigsaws < 340, `about 3/4 jigsaw: ${jigsaws}/400`);
    // Another epoch (pass) of the same keys draws again.
    const next = await pairsOf(batches(new RecordingLedger(), 400, 2, 4, 1), {
      transforms: [
        { name: 'jigsaw', weight: 3 },
        { name: 'cutout', weight: 1 },
      ],
      seed: 5,
      workers: 0,
    });
    assert.notDeepEqual(
      next.map((p) => p.negative.__nda__[0]),
      names,
    );
  });

  it(
    'runs on a pool it creates per subscription: pixels copied once into a moved buffer, the real batch intact; threads end on complete',
    T,
    async () => {
      const ledger = new RecordingLedger();
      const input = batches(ledger, 5);
      const before = input.map((b) => Uint8Array.from((b.png as ImageBatch).data));
      const spy = poolSpy();
      const op = ndaPairs({ transforms: 'jigsaw', seed: 3, ...POOL, concurrency: 2, onPool: spy.onPool });
      const pairs = await collect(from(input).pipe(op));
      assert.equal(pairs.length, 5);
      assert.equal(spy.pools.length, 1);
      assert.equal(spy.workers.length, 2);
      assert.equal(spy.tasks.length, 5);
      for (const task of spy.tasks)
        assert.equal(task.data.byteLength, 0, 'the copy sent was moved (detached here), not cloned');
      input.forEach((b, i) => assert.deepEqual((b.png as ImageBatch).data, before[i], 'the real batch is not touched'));
      for (const p of pairs) {
        const neg = (p.negative.png as ImageBatch).data;
        assert.notEqual(neg.buffer, (p.real.png as ImageBatch).data.buffer);
        assert.equal(neg.byteLength, 6 * 8 * 8 * 3);
      }
      await allExited(spy.workers);
      assert.equal(spy.pools[0]?.threads.length, 0);
      // A second subscription gets a pool of its own.
      await collect(from(batches(ledger, 1)).pipe(op));
      assert.equal(spy.pools.length, 2);
      assert.notEqual(spy.pools[1], spy.pools[0]);
      await allExited(spy.workers);
    },
  );

  it('destroys its pool on early unsubscribe and on error, and emits nothing after', T, async () => {
    const ledger = new RecordingLedger();
    const spy = poolSpy();
    const subject = new Subject<Batch>();
    const seen: NdaPair[] = [];
    const sub = subject
      .pipe(ndaPairs({ transforms: 'jigsaw', seed: 1, ...POOL, concurrency: 4, onPool: spy.onPool }))
      .subscribe((p) => seen.push(p));
    const input = batches(ledger, 4, 6, 64);
    subject.next(input[0] as Batch);
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    for (const b of input.slice(1)) subject.next(b);
    sub.unsubscribe();
    assert.equal(subject.observed, false);
    await allExited(spy.workers);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(seen.length, 1);

    const failing = new Subject<Batch>();
    let failure: unknown;
    failing
      .pipe(ndaPairs({ transforms: 'jigsaw', seed: 1, ...POOL, onPool: spy.onPool }))
      .subscribe({ error: (e: unknown) => (failure = e) });
    failing.next(batches(ledger, 1)[0] as Batch);
    failing.error(new Error('upstream broke'));
    assert.equal((failure as Error).message, 'upstream broke');
    assert.equal(spy.pools.length, 2);
    await allExited(spy.workers);
  });

  it(
    'counts each sample once through the loader (yielded = samples, nothing lost), pool or main thread',
    T,
    async () => {
      const dir = tempDir();
      const writer = new ShardWriter(join(dir, 'img-%03d.tar'), { maxSamples: 40 });
      const rgb = Buffer.alloc(8 * 8 * 3);
      for (let i = 0; i < 100; i++) {
        rgb.fill(i);
        await writer.write({
          __key__: `s${String(i).padStart(3, '0')}`,
          png: await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } })
            .png()
            .toBuffer(),
          cls: i % 10,
        });
      }
      await writer.close();
      for (const workers of [0, 2] as const) {
        const loader = createLoader(
          fromShards(join(dir, 'img-{000..002}.tar'), { seed: 1, shuffle: 20 }),
          decode(),
          batch(16),
          ndaPairs({
            transforms: [{ name: 'jigsaw' }, { name: 'stitch' }],
            seed: 1,
            workers,
            mainThreadMaxBytes: 0,
            concurrency: 3,
            batchSize: 16,
          }),
        );
        const it = loader.iterate();
        const keys: string[] = [];
        for await (const pair of it) {
          keys.push(...pair.real.__key__);
          assert.deepEqual(pair.negative.__key__, pair.real.__key__);
          assert.deepEqual((pair.negative.png as ImageBatch).shape, (pair.real.png as ImageBatch).shape);
        }
        const accounting = it.accounting();
        assert.equal(keys.length, 100);
        assert.equal(new Set(keys).size, 100);
        assert.equal(accounting.seen, 100);
        assert.equal(accounting.yielded, 100, `workers ${workers}: ${JSON.stringify(accounting)}`);
        assert.equal(accounting.lost, 0);
      }
    },
  );

  it(
    'skips a batch it cannot transform through the handler (reason nda), on the pool and on the main thread',
    T,
    async () => {
      for (const workers of [0, 2]) {
        const ledger = new RecordingLedger();
        const good = batches(ledger, 2, 4, 8);
        const odd = batchOf(ledger, keysOf(4, 'odd'), { png: pixels([4, 9, 9, 3]) }); // k=2 does not divide 9
        const none = batchOf(ledger, keysOf(2, 'none'), { cls: [1, 2] });
        const pairs = await pairsOf([good[0] as Batch, odd, none, good[1] as Batch], {
          transforms: 'jigsaw',
          seed: 1,
          workers,
          mainThreadMaxBytes: 0,
          handler: 'ignoreAndContinue',
        });
        assert.deepEqual(
          pairs.map((p) => p.real),
          good,
        );
        assert.deepEqual(ledger.skippedKeys('nda'), [...keysOf(4, 'odd'), ...keysOf(2, 'none')]);
        const errors = ledger.skipped.map((s) => s.error as SampleError);
        assert.ok(errors[0] instanceof SampleError);
        assert.match(errors[0].message, /k must divide/);
        assert.equal(errors[0].field, 'png');
        assert.match((errors[4] as SampleError).message, /must have a stacked image field/);
        await assert.rejects(
          pairsOf([odd], { transforms: 'jigsaw', seed: 1, workers, mainThreadMaxBytes: 0 }),
          (e: SampleError) => e.reason === 'nda' && /k must divide/.test(e.message),
        );
      }
    },
  );

  it('needs a field among several image fields, and uses the one named', T, async () => {
    const ledger = new RecordingLedger();
    const b = batchOf(ledger, keysOf(4), {
      png: pixels([4, 8, 8, 3], 'uint8', 1),
      depth: pixels([4, 8, 8, 1], 'uint8', 2),
    });
    await assert.rejects(
      pairsOf([b], { transforms: 'cutout', seed: 1 }),
      /several \(\["png","depth"\]\): give ndaPairs a field/,
    );
    const [pair] = await pairsOf([b], { transforms: 'cutout', seed: 1, field: 'depth' });
    assert.equal(pair?.negative.png, b.png);
    assert.ok(!sameImages(pair?.negative.depth as ImageBatch, b.depth as ImageBatch));
  });

  it('runs a transform the registry cannot rebuild on the main thread, without a pool', T, async () => {
    const invert: NdaTransform = {
      name: 'invert',
      options: {},
      apply: (images) => ({ images: { data: images.data.map((v) => 255 - v), shape: images.shape }, partners: null }),
    };
    const spy = poolSpy();
    const input = batches(new RecordingLedger(), 2);
    const pairs = await pairsOf(input, { transforms: invert, seed: 1, ...POOL, onPool: spy.onPool });
    assert.equal(spy.pools.length, 0);
    assert.deepEqual(pairs[0]?.negative.__nda__, new Array(6).fill('invert'));
    assert.deepEqual(
      Array.from((pairs[0]?.negative.png as ImageBatch).data.slice(0, 3)),
      Array.from((input[0]?.png as ImageBatch).data.slice(0, 3), (v) => 255 - v),
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => ndaPairs({ transforms: 'bogus', seed: 1 }), {
      name: 'RangeError',
      message: /must be one of jigsaw, stitch, mixup, cutout, cutmix, shift, noise: current value is "bogus"/,
    });
    assert.throws(() => ndaPairs({ transforms: [], seed: 1 }), /at least one transform/);
    assert.throws(() => ndaPairs({ transforms: [{ name: 'jigsaw', weight: 0 }], seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create ndaPairs as a transform weight must be a finite number > 0: current value is 0',
    });
    assert.throws(() => ndaPairs({ transforms: { name: 'jigsaw', options: { k: 1 } }, seed: 1 }), RangeError);
    assert.throws(() => ndaPairs({ transforms: 'jigsaw', seed: 1, workers: -1 }), /workers must be in \[0, 256\]/);
    assert.throws(() => ndaPairs({ transforms: 'jigsaw', seed: 1, concurrency: 0 }), /concurrency must be in/);
    assert.throws(() => ndaPairs({ transforms: 'jigsaw', seed: 1, field: '' }), TypeError);
    assert.throws(() => ndaPairs({ transforms: 'jigsaw', seed: -1 }), RangeError);
    assert.throws(() => ndaPairs(undefined as never), TypeError);
    assert.throws(() => ndaPairs({ transforms: 'jigsaw', seed: 1, worker: 2 } as never), {
      name: 'TypeError',
      message: 'Cannot call ndaPairs as worker is not an option of ndaPairs: did you mean workers?',
    });
    assert.throws(
      () => ndaPairs({ transforms: [{ name: 'jigsaw', wieght: 2 }], seed: 1 } as never),
      /Cannot call ndaPairs as wieght is not an option of a transforms entry: did you mean weight\?/,
    );
    const seeds: number[] = [];
    ndaPairs({ transforms: 'jigsaw', onSeed: (s) => seeds.push(s) });
    assert.equal(seeds.length, 1);
    assert.equal(ndaPairs({ transforms: 'jigsaw', seed: 1, concurrency: 3, batchSize: 32 }).ndaflowHolds, 96);
  });
});
