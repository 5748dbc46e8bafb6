import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { clipRandomFlip } from '../../operators/clip-random-flip.js';
import { SampleError } from '../../sources/errors.js';
import { Random } from '../../sources/random.js';
import { LINEAGE, type Sample } from '../../sources/sample.js';
import type { VideoClip } from '../../sources/video/video-clip.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

function clipOf(T: number, H: number, W: number, C: number, dtype: 'uint8' | 'float32' = 'uint8', seed = 1): VideoClip {
  const rng = Random.derive(seed, 'clip-test');
  const n = T * H * W * C;
  const data =
    dtype === 'uint8'
      ? Uint8Array.from({ length: n }, () => rng.int(0, 255))
      : Float32Array.from({ length: n }, () => rng.float());
  return { data, shape: [T, H, W, C], fps: 30, start: 0, stride: 1, padded: 0 };
}

/** Frame t of a clip, mirrored naively (or as it is). */
function naive(clip: VideoClip, t: number, direction: 'horizontal' | 'vertical' | 'none'): number[] {
  const [, H, W, C] = clip.shape;
  const out: number[] = [];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        const sy = direction === 'vertical' ? H - 1 - y : y;
        const sx = direction === 'horizontal' ? W - 1 - x : x;
        out.push(clip.data[((t * H + sy) * W + sx) * C + c] as number);
      }
  return out;
}

function frameOf(clip: VideoClip, t: number): number[] {
  const [, H, W, C] = clip.shape;
  return Array.from(clip.data.subarray(t * H * W * C, (t + 1) * H * W * C));
}

describe('clipRandomFlip', () => {
  it('mirrors every frame of a clip with p = 1 (either direction, uint8 and float32) and leaves the sample as it is with p = 0 (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('horizontal' as const, 'vertical' as const),
        fc.boolean(),
        (T, H, W, C, direction, float) => {
          const clip = clipOf(T, H, W, C, float ? 'float32' : 'uint8');
          const out: Sample[] = [];
          from([{ __key__: 'k', __url__: 'u', mp4: clip }])
            .pipe(clipRandomFlip({ p: 1, seed: 0, direction }))
            .subscribe((s) => out.push(s));
          const got = out[0]?.mp4 as VideoClip;
          assert.equal(got.data.constructor, clip.data.constructor);
          for (let t = 0; t < T; t++) assert.deepEqual(frameOf(got, t), naive(clip, t, direction));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('flips whole clips: each clip of an array field either all its frames or none, drawn per clip, keeping metadata and lineage', async () => {
    const ledger = new RecordingLedger();
    const clips = Array.from({ length: 40 }, (_, i) => clipOf(4, 3, 5, 3, 'uint8', i));
    const s = ledger.sample('a', { clips, cls: 1 });
    const [out] = await collect(from([s]).pipe(clipRandomFlip({ seed: 4 })));
    assert.equal(out?.[LINEAGE], s[LINEAGE]);
    let flipped = 0;
    (out?.clips as VideoClip[]).forEach((c, i) => {
      const src = clips[i] as VideoClip;
      const whole = [0, 1, 2, 3].map((t) => frameOf(c, t).join() === naive(src, t, 'horizontal').join());
      const none = [0, 1, 2, 3].map((t) => frameOf(c, t).join() === naive(src, t, 'none').join());
      assert.ok(whole.every(Boolean) || none.every(Boolean), `clip ${i}: all frames or none`);
      if (whole.every(Boolean)) {
        flipped++;
        assert.notEqual(c, src);
        assert.deepEqual([c.fps, c.start, c.stride, c.padded], [30, 0, 1, 0]);
      } else assert.equal(c, src, 'an unflipped clip stays the same object');
    });
    assert.ok(flipped > 8 && flipped < 32, `${flipped} of 40 flipped at p = 0.5`);
    assert.deepEqual(
      frameOf(clips[0] as VideoClip, 0),
      frameOf(clipOf(4, 3, 5, 3, 'uint8', 0), 0),
      'the input is not modified',
    );
    const [same] = await collect(from([s]).pipe(clipRandomFlip({ seed: 4, p: 0 })));
    assert.equal(same, s);
  });

  it('is deterministic per clip in any order, and differs per seed and epoch', async () => {
    const ledger = new RecordingLedger();
    const make = (pass: number) =>
      Array.from({ length: 60 }, (_, i) => ledger.sample(`k${i}`, { mp4: clipOf(2, 1, 2, 1) }, pass));
    const decisions = async (items: Sample[], seed: number) =>
      new Map(
        (await collect(from(items).pipe(clipRandomFlip({ seed })))).map((s) => [
          s.__key__,
          (s.mp4 as VideoClip).data[0] !== (items[0]?.mp4 as VideoClip).data[0],
        ]),
      );
    const a = await decisions(make(0), 1);
    assert.deepEqual(await decisions(make(0).reverse(), 1), a);
    const b = await decisions(make(0), 2);
    const e = await decisions(make(1), 1);
    assert.ok([...a].filter(([k, v]) => b.get(k) !== v).length > 10);
    assert.ok([...a].filter(([k, v]) => e.get(k) !== v).length > 10);
  });

  it('reports a missing or non-clip field through the handler', async () => {
    const ledger = new RecordingLedger();
    await assert.rejects(
      collect(from([ledger.sample('m', {})]).pipe(clipRandomFlip({ seed: 1, fields: ['mp4'] }))),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field',
    );
    const out = await collect(
      from([
        ledger.sample('img', { mp4: { data: new Uint8Array(3), shape: [1, 1, 3] } }),
        ledger.sample('ok', { mp4: clipOf(1, 1, 1, 1) }),
      ]).pipe(clipRandomFlip({ seed: 1, fields: ['mp4'], handler: 'ignoreAndContinue' })),
    );
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['ok'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [
        ['m', 'missing-field'],
        ['img', 'clip-random-flip'],
      ],
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => clipRandomFlip({ p: 2, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a clip random flip as p must be in [0, 1]: current value is 2',
    });
    assert.throws(() => clipRandomFlip({ direction: 'both' as never, seed: 1 }), RangeError);
    assert.throws(() => clipRandomFlip({ seed: 1.5 }), RangeError);
    let picked: number | undefined;
    clipRandomFlip({ onSeed: (s) => (picked = s) });
    assert.equal(typeof picked, 'number');
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        clipRandomFlip({ seed: 1 }),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', mp4: clipOf(2, 2, 2, 3) });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', mp4: clipOf(2, 2, 2, 3) });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
  });
});
