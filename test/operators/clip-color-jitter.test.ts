import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { clipColorJitter } from '../../operators/clip-color-jitter.js';
import { colorJitter } from '../../operators/color-jitter.js';
import { drawJitter, jitterFrames, resolveJitterRanges } from '../../operators/internal/clip-jitter.js';
import { sampleRandom } from '../../operators/internal/sample-random.js';
import { SampleError } from '../../sources/errors.js';
import { Random } from '../../sources/random.js';
import { LINEAGE, type Image, type Sample } from '../../sources/sample.js';
import type { VideoClip } from '../../sources/video/video-clip.js';
import { framesOf, randomFrame } from '../helpers/clip-frames.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

function frameOf(clip: VideoClip, t: number): string {
  const [, H, W, C] = clip.shape;
  return Array.from(clip.data.subarray(t * H * W * C, (t + 1) * H * W * C)).join();
}

const MOCO = { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 };

describe('clipColorJitter', () => {
  it('jitters every frame of a clip with the same order and factors: equal frames stay equal, contrast uses the mean of each frame (property)', () => {
    fc.assert(
      fc.property(fc.nat(10000), fc.constantFrom(1 as const, 3 as const), (seed, C) => {
        const A = randomFrame(3, 4, C, seed);
        const B = randomFrame(3, 4, C, seed + 1);
        const clip = framesOf([A, B, A, B], 3, 4, C);
        const out: Sample[] = [];
        from([{ __key__: `k${seed}`, __url__: 'u', mp4: clip }])
          .pipe(clipColorJitter({ ...MOCO, p: 1, seed }))
          .subscribe((s) => out.push(s));
        const got = out[0]?.mp4 as VideoClip;
        assert.equal(frameOf(got, 0), frameOf(got, 2));
        assert.equal(frameOf(got, 1), frameOf(got, 3));
        // each frame equals the same draw applied to that frame alone (one draw per clip, frame-wise kernels)
        const draw = drawJitter(
          Random.derive(
            sampleRandom(seed, 'clip-color-jitter', { __key__: `k${seed}` }).int(0, 0xffffffff),
            'clip-color-jitter',
            'mp4',
            0,
          ),
          1,
          resolveJitterRanges('test', MOCO),
        );
        assert.ok(draw !== null);
        for (const [t, f] of [A, B].entries()) {
          const d = f.slice();
          jitterFrames(d, C, d.length, draw);
          assert.equal(frameOf(got, t), Array.from(d).join());
        }
      }),
      { numRuns: 60 },
    );
  });

  it('draws as colorJitter does for an image (coin, order, four factors)', async () => {
    // colorJitter's draw for a sample, replayed through clip-jitter's drawJitter + jitterFrames, gives colorJitter's image
    const opts = { ...MOCO, p: 0.8 };
    for (let i = 0; i < 40; i++) {
      const img: Image = { data: randomFrame(4, 5, 3, i), shape: [4, 5, 3] };
      const s = { __key__: `s${i}`, __url__: 'u', png: img };
      const [ref] = await collect(from([s]).pipe(colorJitter({ ...opts, seed: 9 })));
      const draw = drawJitter(sampleRandom(9, 'color-jitter', s), opts.p, resolveJitterRanges('test', opts));
      const d = img.data.slice() as Uint8Array;
      if (draw !== null) jitterFrames(d, 3, d.length, draw);
      assert.deepEqual(Array.from((ref?.png as Image).data), Array.from(d));
    }
  });

  it('jitters a large clip at once exactly as frame by frame (the saturation table path)', () => {
    const frames = [0, 1, 2, 3].map((i) => randomFrame(80, 80, 3, 50 + i));
    const whole = framesOf(frames, 80, 80, 3).data as Uint8Array; // 76,800 values: saturation's table path
    const draw = { order: [3, 2, 1, 0], factors: [1.3, 0.7, 1.8, 0.12] };
    jitterFrames(whole, 3, 80 * 80 * 3, draw);
    frames.forEach((f, t) => {
      const d = f.slice();
      jitterFrames(d, 3, d.length, draw); // 19,200 values: pixel by pixel
      assert.ok(
        Buffer.compare(Buffer.from(d), Buffer.from(whole.subarray(t * d.length, (t + 1) * d.length))) === 0,
        `frame ${t}`,
      );
    });
    assert.ok(Buffer.compare(Buffer.from(whole.subarray(0, 19200)), Buffer.from(frames[0] as Uint8Array)) !== 0);
  });

  it('draws per clip of an array field and per key, reproducibly per seed; p; keeps metadata and lineage', async () => {
    const ledger = new RecordingLedger();
    const A = randomFrame(2, 2, 3, 1);
    const clip = framesOf([A, A], 2, 2, 3);
    const make = (pass: number) =>
      Array.from({ length: 30 }, (_, i) => ledger.sample(`k${i}`, { clips: [clip, clip] }, pass));
    const run = async (items: Sample[], seed: number, p = 0.8) =>
      (await collect(from(items).pipe(clipColorJitter({ ...MOCO, seed, p })))).map((s) =>
        (s.clips as VideoClip[]).map((c) => frameOf(c, 0)),
      );
    const a = await run(make(0), 1);
    assert.deepEqual(await run(make(0), 1), a);
    assert.ok(a.filter(([x, y]) => x !== y).length > 15, 'the two clips of a sample get their own draws');
    assert.ok(new Set(a.map((c) => c[0])).size > 15, 'keys get their own draws');
    const b = await run(make(0), 2);
    assert.ok(a.filter((c, i) => c.join() !== b[i]?.join()).length > 15);
    const e = await run(make(1), 1);
    assert.ok(a.filter((c, i) => c.join() !== e[i]?.join()).length > 15);
    const unchanged = (await run(make(0), 1, 0.5)).flat().filter((f) => f === frameOf(clip, 0)).length;
    assert.ok(unchanged > 12 && unchanged < 48, `${unchanged} of 60 clips unchanged at p = 0.5`);
    const s = ledger.sample('x', { mp4: clip });
    const [out] = await collect(from([s]).pipe(clipColorJitter({ ...MOCO, p: 1, seed: 1 })));
    const got = out?.mp4 as VideoClip;
    assert.equal(out?.[LINEAGE], s[LINEAGE]);
    assert.deepEqual([got.fps, got.start, got.stride, got.padded, ...got.shape], [12, 5, 3, 0, 2, 2, 2, 3]);
    assert.equal(frameOf(clip, 0), Array.from(A).join(), 'the input is not modified');
    const [same] = await collect(from([s]).pipe(clipColorJitter({ seed: 1, p: 1 })));
    assert.equal(same, s, 'nothing to jitter: the sample itself');
  });

  it('refuses float32 clips and clips of 2 or 4 channels through the handler; validates options', async () => {
    const ledger = new RecordingLedger();
    const f32: VideoClip = { data: new Float32Array(12), shape: [1, 2, 2, 3], fps: 1, start: 0, stride: 1, padded: 0 };
    const four: VideoClip = { data: new Uint8Array(16), shape: [1, 2, 2, 4], fps: 1, start: 0, stride: 1, padded: 0 };
    const out = await collect(
      from([ledger.sample('f', { mp4: f32 }), ledger.sample('c4', { mp4: four }), ledger.sample('m', {})]).pipe(
        clipColorJitter({ brightness: 0.5, p: 1, seed: 1, fields: ['mp4'], handler: 'ignoreAndContinue' }),
      ),
    );
    assert.equal(out.length, 0);
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [
        ['f', 'clip-color-jitter'],
        ['c4', 'clip-color-jitter'],
        ['m', 'missing-field'],
      ],
    );
    await assert.rejects(
      collect(from([ledger.sample('f2', { mp4: f32 })]).pipe(clipColorJitter({ brightness: 0.5, p: 1, seed: 1 }))),
      (e: unknown) => e instanceof SampleError && /8-bit/.test(e.message),
    );
    assert.throws(() => clipColorJitter({ brightness: -1, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a clip color jitter as brightness must be a finite number >= 0: current value is -1',
    });
    assert.throws(() => clipColorJitter({ hue: 0.7, seed: 1 }), RangeError);
    assert.throws(() => clipColorJitter({ contrast: 'x' as never, seed: 1 }), TypeError);
    assert.throws(() => clipColorJitter({ p: -0.1, seed: 1 }), RangeError);
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        clipColorJitter({ ...MOCO, seed: 1 }),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', mp4: framesOf([randomFrame(2, 2, 3, 1)], 2, 2, 3) });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', mp4: framesOf([randomFrame(2, 2, 3, 1)], 2, 2, 3) });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
  });
});
