import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  Subject,
  filter as rxFilter,
  finalize,
  firstValueFrom,
  from,
  map as rxMap,
  mergeMap,
  timer,
  toArray,
  type Observable,
  type OperatorFunction,
} from 'rxjs';
import sharp from 'sharp';
import { batch } from '../../operators/batch.js';
import { colorJitter } from '../../operators/color-jitter.js';
import { decode } from '../../operators/decode.js';
import { gaussianBlur } from '../../operators/gaussian-blur.js';
import { normalize } from '../../operators/normalize.js';
import { parallelMap } from '../../operators/parallel-map.js';
import { randomFlip } from '../../operators/random-flip.js';
import { randomGrayscale } from '../../operators/random-grayscale.js';
import { randomResizedCrop } from '../../operators/random-resized-crop.js';
import { twoViews } from '../../operators/two-views.js';
import { SampleError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { LINEAGE, type Image, type Sample } from '../../sources/sample.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';
import { tempDir } from '../helpers/temp-dir.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

function noise(H: number, W: number, C: number, seed: number): Image {
  const data = new Uint8Array(H * W * C);
  let s = seed * 2654435761 + 1;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, shape: [H, W, C] };
}

const bytes = (img: unknown): string => Array.from((img as Image).data).join();

/** One view computed by hand: the augmentation applied to the sample tagged with its view. */
function byHand(sample: Sample, view: 0 | 1, ...ops: OperatorFunction<Sample, Sample>[]): Sample {
  const out: Sample[] = [];
  (from([{ ...sample, __view__: view }]) as Observable<Sample>)
    .pipe(...(ops as [OperatorFunction<Sample, Sample>]))
    .subscribe((s) => out.push(s));
  return out[0] as Sample;
}

describe('twoViews', () => {
  it('emits one item per sample with two different views from the same operators and seeds, each the tagged augmentation', async () => {
    const ledger = new RecordingLedger();
    const samples = Array.from({ length: 20 }, (_, i) => ledger.sample(`k${i}`, { png: noise(16, 20, 3, i), cls: i }));
    const crop = randomResizedCrop({ size: 8, seed: 5 });
    const out = await collect(from(samples).pipe(twoViews(crop)));
    assert.deepEqual(
      out.map((s) => s.__key__),
      samples.map((s) => s.__key__),
    );
    let differ = 0;
    out.forEach((s, i) => {
      const input = samples[i] as Sample;
      assert.deepEqual(Object.keys(s).sort(), ['__key__', '__url__', 'cls', 'view0', 'view1']);
      assert.equal(s[LINEAGE], input[LINEAGE], 'the lineage of the sample, not of a copy');
      assert.deepEqual(s.view0.shape, [8, 8, 3]);
      assert.equal(bytes(s.view0), bytes(byHand(input, 0, crop).png));
      assert.equal(bytes(s.view1), bytes(byHand(input, 1, crop).png));
      if (bytes(s.view0) !== bytes(s.view1)) differ++;
    });
    assert.ok(differ >= 19, `${differ} of 20 samples have two different views`);
    assert.ok(!('__view__' in (samples[0] as Sample)), 'the input is not tagged');
  });

  it('takes two augmentations (asymmetric views), lists of operators, names and keepInput', async () => {
    const s: Sample = { __key__: 'a', __url__: 'u', png: noise(4, 4, 3, 1) };
    const [out] = await collect(
      from([s]).pipe(twoViews([randomGrayscale({ p: 1, seed: 1 })], [], { names: ['q', 'k'], keepInput: true })),
    );
    assert.deepEqual(Object.keys(out as Sample).sort(), ['__key__', '__url__', 'k', 'png', 'q']);
    const q = (out?.q as Image).data;
    assert.ok(q[0] === q[1] && q[1] === q[2], 'the first view is grey');
    assert.equal(bytes(out?.k), bytes(s.png), 'the second view is the input');
    assert.equal(out?.png, s.png);
  });

  it('is deterministic per sample whatever the order and concurrency of the augmentation (property)', async () => {
    const ledger = new RecordingLedger();
    const samples = Array.from({ length: 12 }, (_, i) => ledger.sample(`k${i}`, { png: noise(12, 12, 3, i) }));
    const chain = () => [
      randomResizedCrop({ size: 6, seed: 1 }),
      colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, seed: 2 }),
      randomFlip({ seed: 3 }),
    ];
    const reference = new Map(
      (await collect(from(samples).pipe(twoViews(chain())))).map((s) => [
        s.__key__,
        bytes(s.view0) + '|' + bytes(s.view1),
      ]),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 12, maxLength: 12 }),
        async (concurrency, ordered, delays) => {
          const slow = parallelMap<Sample, Sample>(
            (s) =>
              firstValueFrom(
                timer(delays[Number(s.__key__.slice(1))]! * (s.__view__ === 1 ? 2 : 1)).pipe(rxMap(() => s)),
              ),
            { concurrency, ordered },
          );
          const out = await collect(from([...samples].reverse()).pipe(twoViews([slow, ...chain()])));
          assert.equal(out.length, 12);
          for (const s of out) assert.equal(bytes(s.view0) + '|' + bytes(s.view1), reference.get(s.__key__));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('declares what its augmentations hold, for both views', () => {
    const pm = parallelMap<Sample, Sample>((s) => s, { concurrency: 3, reorderWindow: 1 });
    assert.equal(twoViews([pm, randomFlip({ seed: 1 })]).ndaflowHolds, 8);
    assert.equal(twoViews(pm, randomFlip({ seed: 1 })).ndaflowHolds, 4);
    assert.equal(twoViews(randomFlip({ seed: 1 })).ndaflowHolds, 0);
  });

  it('counts a sample once when an augmentation skips one of its copies, and drops the other view', async () => {
    const ledger = new RecordingLedger();
    const samples = [
      ledger.sample('a', { png: noise(4, 4, 3, 1) }),
      ledger.sample('b', { jpg: noise(4, 4, 3, 2) }),
      ledger.sample('c', { png: noise(4, 4, 3, 3) }),
    ];
    // the copies of b lack png: the crop skips them under its own handler
    const crop = randomResizedCrop({ size: 2, seed: 1, fields: ['png'], handler: 'ignoreAndContinue' });
    const out = await collect(from(samples).pipe(twoViews(crop)));
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['a', 'c'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [['b', 'missing-field']],
    );
    // the second view's augmentation skips, the first's did not: still counted once, no error
    ledger.skipped.length = 0;
    const onlySecond = randomResizedCrop({ size: 2, seed: 1, fields: ['png'], handler: 'ignoreAndContinue' });
    const out2 = await collect(
      from([ledger.sample('d', { jpg: noise(4, 4, 3, 2) })]).pipe(twoViews([], onlySecond, { field: 'jpg' })),
    );
    assert.deepEqual(out2, []);
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [['d', 'missing-field']],
    );
    // asynchronous views: the first fails while the second is still on its way; when it arrives it is dropped
    ledger.skipped.length = 0;
    const later = (ms: number) =>
      parallelMap<Sample, Sample>((s) => firstValueFrom(timer(ms).pipe(rxMap(() => s))), { concurrency: 2 });
    const failFirst = randomResizedCrop({ size: 2, seed: 1, fields: ['png'], handler: 'ignoreAndContinue' });
    const out3 = await collect(
      from([ledger.sample('e', { jpg: noise(4, 4, 3, 2) }), ledger.sample('f', { png: noise(4, 4, 3, 2) })]).pipe(
        twoViews([later(1), failFirst], [later(20)], { field: 'png' }),
      ),
    );
    assert.deepEqual(
      out3.map((s) => s.__key__),
      ['f'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [['e', 'missing-field']],
    );
  });

  it('settles the sample once and errors when an augmentation rethrows; completes when one stops', async () => {
    const ledger = new RecordingLedger();
    const input = () => [
      ledger.sample('a', { png: noise(4, 4, 3, 1) }),
      ledger.sample('b', { jpg: noise(4, 4, 3, 2) }),
      ledger.sample('c', { png: noise(4, 4, 3, 3) }),
    ];
    await assert.rejects(
      collect(from(input()).pipe(twoViews(randomResizedCrop({ size: 2, seed: 1, fields: ['png'] })))),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field' && e.key === 'b',
    );
    assert.deepEqual(
      ledger.skipped.map((s) => s.key),
      ['b'],
    );
    const stopped = await collect(
      from(input()).pipe(twoViews(randomResizedCrop({ size: 2, seed: 1, fields: ['png'], handler: 'ignoreAndStop' }))),
    );
    assert.deepEqual(
      stopped.map((s) => s.__key__),
      ['a'],
    );
  });

  it('needs one image field per copy, or field: the sample goes to the handler otherwise', async () => {
    const ledger = new RecordingLedger();
    const two = () => ledger.sample('m', { png: noise(4, 4, 3, 1), 'seg.png': noise(4, 4, 1, 2) });
    await assert.rejects(
      collect(from([two()]).pipe(twoViews(randomFlip({ seed: 1 })))),
      (e: unknown) =>
        e instanceof SampleError &&
        e.reason === 'two-views' &&
        /one decoded image field, or name it with the field option: it has 2 \(png, seg.png\)/.test(e.message),
    );
    const [out] = await collect(from([two()]).pipe(twoViews(randomFlip({ seed: 1 }), { field: 'png' })));
    assert.deepEqual(Object.keys(out as Sample).sort(), ['__key__', '__url__', 'seg.png', 'view0', 'view1']);
    const skipped = await collect(
      from([ledger.sample('none', { cls: 1 }), ledger.sample('ok', { png: noise(2, 2, 3, 1) })]).pipe(
        twoViews([], { handler: 'ignoreAndContinue' }),
      ),
    );
    assert.deepEqual(
      skipped.map((s) => s.__key__),
      ['ok'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [
        ['m', 'two-views'],
        ['none', 'two-views'],
      ],
    );
  });

  it('refuses augmentations that batch, duplicate or lose lineage, and counts copies dropped without settling', async () => {
    const ledger = new RecordingLedger();
    const input = () => [
      ledger.sample('a', { png: noise(2, 2, 3, 1) }),
      ledger.sample('b', { png: noise(2, 2, 3, 2) }),
    ];
    await assert.rejects(
      collect(from(input()).pipe(twoViews(batch(2) as never))),
      /must emit at most one sample per sample/,
    );
    await assert.rejects(
      collect(from(input()).pipe(twoViews(mergeMap((s: Sample) => [s, s])))),
      /must emit at most one sample per sample/,
    );
    await assert.rejects(
      collect(
        from(input()).pipe(twoViews(rxMap((s: Sample) => ({ __key__: s.__key__, __url__: s.__url__, png: s.png })))),
      ),
      /keeping its lineage/,
    );
    const out = await collect(from(input()).pipe(twoViews(rxFilter((s: Sample) => s.__key__ !== 'b'))));
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['a'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [['b', 'two-views']],
    );
  });

  it('notices an augmentation that moved the pixels away, and copies them with copyInput', async () => {
    const steal = rxMap((s: Sample) => {
      const img = s.png as Image;
      structuredClone(img.data.buffer, { transfer: [img.data.buffer as ArrayBuffer] }); // what workerMap does to a buffer
      return {
        ...s,
        png: { data: new Uint8Array(img.shape[0] * img.shape[1] * img.shape[2]), shape: img.shape } satisfies Image,
      };
    });
    await assert.rejects(
      collect(from([{ __key__: 'a', __url__: 'u', png: noise(2, 2, 3, 1) }]).pipe(twoViews(steal))),
      /took its pixels away .* set copyInput: true/,
    );
    const s: Sample = { __key__: 'a', __url__: 'u', png: noise(2, 2, 3, 1) };
    const [out] = await collect(from([s]).pipe(twoViews(steal, { copyInput: true })));
    assert.equal((out?.view1 as Image).data.length, 12);
    assert.equal(bytes(s.png), bytes(noise(2, 2, 3, 1)), 'the input kept its pixels');
  });

  it('releases its source and both augmentations on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    const released: string[] = [];
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => released.push('source')),
        twoViews(
          finalize<Sample>(() => released.push('view0')),
          finalize<Sample>(() => released.push('view1')),
        ),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', png: noise(2, 2, 3, 1) });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', png: noise(2, 2, 3, 1) });
    assert.deepEqual(released.sort(), ['source', 'view0', 'view1']);
    assert.equal(seen.length, 1);
    assert.equal(subject.observed, false);
  });

  it('validates its arguments when created', () => {
    assert.throws(() => twoViews(undefined as never), {
      name: 'TypeError',
      message:
        'Cannot create two views as augment must be an operator or an array of operators: current value is "undefined"',
    });
    assert.throws(() => twoViews([randomFlip({ seed: 1 }), 3 as never]), TypeError);
    assert.throws(() => twoViews([], { names: ['a', 'a'] }), /names must differ/);
    assert.throws(() => twoViews([], { names: ['a'] as never }), TypeError);
    assert.throws(() => twoViews([], { names: ['__key__', 'b'] }), RangeError);
    assert.throws(() => twoViews([], { field: '' }), TypeError);
    assert.throws(() => twoViews([], { keepInput: 1 as never }), TypeError);
    assert.throws(() => twoViews([], [], { copyInput: 'yes' as never }), TypeError);
    assert.throws(() => twoViews([], { handler: 'nope' as never }));
  });

  it('runs the MoCo-v2 augmentation through a real loader: every sample once, two float views per sample', async () => {
    const dir = tempDir();
    const writer = new ShardWriter(join(dir, 'v-%03d.tar'), { maxSamples: 5 });
    for (let i = 0; i < 9; i++) {
      const img = noise(24 + i, 30, 3, i);
      await writer.write({
        __key__: `s${i}`,
        [i === 4 ? 'jpg' : 'png']: await sharp(Buffer.from(img.data), {
          raw: { width: 30, height: 24 + i, channels: 3 },
        })
          .png()
          .toBuffer(),
        cls: i,
      });
    }
    const shards = await writer.close();
    const mocoV2 = [
      randomResizedCrop({ size: 16, scale: [0.2, 1], seed: 1, fields: ['png'], handler: 'ignoreAndContinue' }), // s4 has a jpg: skipped, counted
      colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8, seed: 2 }),
      randomGrayscale({ p: 0.2, seed: 3 }),
      gaussianBlur({ sigma: [0.1, 2], p: 0.5, seed: 4 }),
      randomFlip({ seed: 5 }),
      normalize({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }),
    ];
    const it = createLoader(
      fromShards(shards, { seed: 1 }),
      decode({ image: 'rgb' }),
      twoViews(mocoV2),
      batch(4),
    ).iterate();
    const keys: string[] = [];
    for await (const b of it) {
      keys.push(...b.__key__);
      const v0 = b.view0;
      assert.ok(v0.data instanceof Float32Array);
      assert.deepEqual(v0.shape.slice(1), [16, 16, 3]);
      assert.notEqual(Array.from(b.view0.data).join(), Array.from(b.view1.data).join());
    }
    assert.deepEqual(keys.sort(), ['s0', 's1', 's2', 's3', 's5', 's6', 's7', 's8']);
    const acc = it.accounting();
    assert.equal(acc.seen, 9);
    assert.equal(acc.yielded, 8);
    assert.deepEqual(acc.skipped, { 'missing-field': 1 });
    assert.equal(acc.lost, 0);
    assert.equal(acc.inFlight, 0);
  });
});
