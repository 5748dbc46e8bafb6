import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { join } from 'node:path';
import { clipColorJitter } from '../../operators/clip-color-jitter.js';
import { clipRandomFlip } from '../../operators/clip-random-flip.js';
import { clipRandomResizedCrop } from '../../operators/clip-random-resized-crop.js';
import { mapSamples } from '../../operators/map-samples.js';
import { resizeBilinear, type ResizeBox } from '../../operators/image/resize.js';
import { SampleError } from '../../sources/errors.js';
import { Random } from '../../sources/random.js';
import { LINEAGE, type Sample } from '../../sources/sample.js';
import type { VideoClip } from '../../sources/video/video-clip.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';
import { tempDir } from '../helpers/temp-dir.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

/** A clip of T frames of seeded values (uint8 0..255, or float32 with unique values per frame). */
function clipOf(T: number, H: number, W: number, C: number, dtype: 'uint8' | 'float32' = 'uint8', seed = 1): VideoClip {
  const rng = Random.derive(seed, 'clip-test');
  const n = T * H * W * C;
  const data =
    dtype === 'uint8'
      ? Uint8Array.from({ length: n }, () => rng.int(0, 255))
      : Float32Array.from({ length: n }, () => rng.float());
  return { data, shape: [T, H, W, C], fps: 25, start: 3, stride: 2, padded: 1 };
}

/** A clip whose T frames all equal one frame of `clip`. */
function still(frame: VideoClip, T: number): VideoClip {
  const [, H, W, C] = frame.shape;
  const per = H * W * C;
  const data = frame.data instanceof Float32Array ? new Float32Array(T * per) : new Uint8Array(T * per);
  for (let t = 0; t < T; t++) data.set(frame.data.subarray(0, per), t * per);
  return { ...frame, data, shape: [T, H, W, C] };
}

function frameOf(clip: VideoClip, t: number): number[] {
  const [, H, W, C] = clip.shape;
  const per = H * W * C;
  return Array.from(clip.data.subarray(t * per, (t + 1) * per));
}

/** The boxes of an H x W frame whose resize of `frame` to h x w gives `out` (brute force over all boxes). */
function boxesGiving(src: VideoClip, t: number, out: number[], h: number, w: number): ResizeBox[] {
  const [, H, W, C] = src.shape;
  const per = H * W * C;
  const frame = src.data.subarray(t * per, (t + 1) * per);
  const found: ResizeBox[] = [];
  for (let bh = 1; bh <= H; bh++)
    for (let bw = 1; bw <= W; bw++)
      for (let top = 0; top + bh <= H; top++)
        for (let left = 0; left + bw <= W; left++) {
          const box = { top, left, h: bh, w: bw };
          const r = resizeBilinear(frame, W, C, box, h, w);
          if (r.every((v, i) => v === out[i])) found.push(box);
        }
  return found;
}

describe('clipRandomResizedCrop', () => {
  it('crops every frame of a clip with one box, through the image kernel, keeping the clip metadata and lineage', async () => {
    const ledger = new RecordingLedger();
    const clip = clipOf(4, 6, 8, 3, 'float32');
    const s = ledger.sample('a', { mp4: clip, cls: 2 });
    const [out] = await collect(from([s]).pipe(clipRandomResizedCrop({ size: [4, 5], seed: 7 })));
    const got = out?.mp4 as VideoClip;
    assert.deepEqual(got.shape, [4, 4, 5, 3]);
    assert.ok(got.data instanceof Float32Array);
    assert.deepEqual([got.fps, got.start, got.stride, got.padded], [25, 3, 2, 1]);
    assert.equal(out?.[LINEAGE], s[LINEAGE]);
    assert.equal(out?.cls, 2);
    const boxes = boxesGiving(clip, 0, frameOf(got, 0), 4, 5);
    assert.equal(boxes.length, 1, 'one box explains frame 0');
    const box = boxes[0] as ResizeBox;
    for (let t = 1; t < 4; t++) {
      const per = 6 * 8 * 3;
      assert.deepEqual(
        frameOf(got, t),
        Array.from(resizeBilinear(clip.data.subarray(t * per, (t + 1) * per), 8, 3, box, 4, 5)),
        `frame ${t} has frame 0's box`,
      );
    }
    assert.deepEqual(Array.from(s.mp4.data), Array.from(clip.data), 'the input is not modified');
  });

  it('keeps a still clip still, and gives each clip of an array field and each key its own box (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(1000),
        (T, H, W, C, seed) => {
          const frame = clipOf(1, H, W, C, 'uint8', seed);
          const out: Sample[] = [];
          from([{ __key__: `k${seed}`, __url__: 'u', clips: [still(frame, T), still(frame, T)] }])
            .pipe(clipRandomResizedCrop({ size: 3, seed }))
            .subscribe((s) => out.push(s));
          for (const c of out[0]?.clips as VideoClip[]) {
            assert.deepEqual(c.shape, [T, 3, 3, C]);
            for (let t = 1; t < T; t++) assert.deepEqual(frameOf(c, t), frameOf(c, 0));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('draws per clip and key, reproducibly per seed, and differently the next epoch', async () => {
    const ledger = new RecordingLedger();
    const clip = clipOf(2, 8, 8, 1, 'float32');
    const make = (pass: number) =>
      Array.from({ length: 12 }, (_, i) => ledger.sample(`k${i}`, { clips: [clip, clip, clip] }, pass));
    const run = async (items: Sample[], seed: number) =>
      (await collect(from(items).pipe(clipRandomResizedCrop({ size: 4, seed })))).map((s) =>
        (s.clips as VideoClip[]).map((c) => frameOf(c, 0).join()),
      );
    const a = await run(make(0), 1);
    assert.deepEqual(await run(make(0), 1), a);
    assert.ok(
      a.some((clips) => new Set(clips).size > 1),
      'the clips of one sample get their own boxes',
    );
    assert.ok(new Set(a.map((c) => c[0])).size > 6, 'keys get their own boxes');
    const b = await run(make(0), 2);
    assert.ok(a.filter((c, i) => c.join() !== b[i]?.join()).length > 6);
    const e = await run(make(1), 1);
    assert.ok(a.filter((c, i) => c.join() !== e[i]?.join()).length > 6);
  });

  it('reports a missing field, a field that is not a clip, and an empty clip through the handler', async () => {
    const ledger = new RecordingLedger();
    await assert.rejects(
      collect(
        from([ledger.sample('m', { png: 1 })]).pipe(clipRandomResizedCrop({ size: 2, seed: 1, fields: ['mp4'] })),
      ),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field' && e.field === 'mp4',
    );
    const empty: VideoClip = { data: new Uint8Array(0), shape: [2, 0, 4, 3], fps: 1, start: 0, stride: 1, padded: 0 };
    const bad: VideoClip = { ...clipOf(2, 4, 4, 3), shape: [3, 4, 4, 3] };
    const items = [
      ledger.sample('raw', { mp4: Buffer.from('x') }),
      ledger.sample('empty', { mp4: empty }),
      ledger.sample('bad', { mp4: bad }),
      ledger.sample('ok', { mp4: clipOf(2, 4, 4, 3) }),
    ];
    const out = await collect(
      from(items).pipe(clipRandomResizedCrop({ size: 2, seed: 1, fields: ['mp4'], handler: 'ignoreAndContinue' })),
    );
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['ok'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [
        ['m', 'missing-field'],
        ['raw', 'clip-random-resized-crop'],
        ['empty', 'clip-random-resized-crop'],
        ['bad', 'clip-random-resized-crop'],
      ],
    );
    assert.match(String((ledger.skipped[1]?.error as Error).message), /must be a decoded video clip/);
    const plain = { __key__: 'n', __url__: 'u', png: 3 };
    assert.equal(
      (await collect(from([plain]).pipe(clipRandomResizedCrop({ size: 2, seed: 1 }))))[0],
      plain,
      'no clip field: the sample itself',
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => clipRandomResizedCrop({ size: 0, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a clip random resized crop as size must be >= 1: current value is 0',
    });
    assert.throws(() => clipRandomResizedCrop({ size: 4, scale: [0, 1], seed: 1 }), RangeError);
    assert.throws(() => clipRandomResizedCrop({ size: 4, ratio: [2, 1], seed: 1 }), RangeError);
    assert.throws(() => clipRandomResizedCrop({ size: 4, fields: [], seed: 1 }), TypeError);
    assert.throws(() => clipRandomResizedCrop(null as never), TypeError);
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        clipRandomResizedCrop({ size: 2, seed: 1 }),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', mp4: clipOf(2, 4, 4, 3) });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', mp4: clipOf(2, 4, 4, 3) });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
  });

  it('in a loader: every sample is yielded or skipped and counted, through crop, flip and jitter', async () => {
    const dir = tempDir();
    const writer = new ShardWriter(join(dir, 'c-%03d.tar'), { maxSamples: 4 });
    for (let i = 0; i < 10; i++) {
      // s3 has no clip bytes, s7 has bytes that do not fill its clip's shape
      const raw = Buffer.from(clipOf(3, 6, 6, 3, 'uint8', i).data.subarray(0, i === 7 ? 50 : undefined));
      await writer.write({ __key__: `s${i}`, [i === 3 ? 'txt' : 'raw']: i === 3 ? Buffer.from('none') : raw, cls: i });
    }
    const shards = await writer.close();
    const toClip = mapSamples((s: Sample) => {
      const { raw, ...rest } = s;
      return raw === undefined
        ? s
        : {
            ...rest,
            mp4: {
              data: new Uint8Array(raw as Buffer),
              shape: [3, 6, 6, 3],
              fps: 10,
              start: 0,
              stride: 1,
              padded: 0,
            },
          };
    });
    const ops = { fields: ['mp4'], handler: 'ignoreAndContinue' } as const;
    const it = createLoader(
      fromShards(shards, { seed: 1 }),
      toClip,
      clipRandomResizedCrop({ size: 4, seed: 1, ...ops }),
      clipRandomFlip({ seed: 1, ...ops }),
      clipColorJitter({ brightness: 0.4, seed: 1, ...ops }),
    ).iterate();
    const keys: string[] = [];
    for await (const s of it) {
      keys.push(s.__key__);
      assert.deepEqual((s.mp4 as VideoClip).shape, [3, 4, 4, 3]);
    }
    assert.deepEqual(keys.sort(), ['s0', 's1', 's2', 's4', 's5', 's6', 's8', 's9']);
    const acc = it.accounting();
    assert.equal(acc.seen, 10);
    assert.equal(acc.yielded, 8);
    assert.deepEqual(acc.skipped, { 'missing-field': 1, 'clip-random-resized-crop': 1 });
    assert.equal(acc.lost, 0);
    assert.equal(acc.inFlight, 0);
  });
});
