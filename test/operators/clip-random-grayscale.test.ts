import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { clipRandomGrayscale } from '../../operators/clip-random-grayscale.js';
import { grayscale3 } from '../../operators/internal/color-ops.js';
import { SampleError } from '../../sources/errors.js';
import { Random } from '../../sources/random.js';
import { LINEAGE } from '../../sources/sample.js';
import type { VideoClip } from '../../sources/video/video-clip.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

function framesOf(frames: readonly Uint8Array[], H: number, W: number, C: number): VideoClip {
  const per = H * W * C;
  const data = new Uint8Array(frames.length * per);
  frames.forEach((f, t) => data.set(f, t * per));
  return { data, shape: [frames.length, H, W, C], fps: 12, start: 5, stride: 3, padded: 0 };
}

function frame(H: number, W: number, C: number, seed: number): Uint8Array {
  const rng = Random.derive(seed, 'frame');
  return Uint8Array.from({ length: H * W * C }, () => rng.int(0, 255));
}

describe('clipRandomGrayscale', () => {
  it('turns whole clips grey (every frame, luma in all channels), one decision per clip', async () => {
    const ledger = new RecordingLedger();
    const clips = Array.from({ length: 40 }, (_, i) => framesOf([frame(2, 3, 3, i), frame(2, 3, 3, i + 100)], 2, 3, 3));
    const s = ledger.sample('a', { clips });
    const [out] = await collect(from([s]).pipe(clipRandomGrayscale({ p: 0.5, seed: 2 })));
    assert.equal(out?.[LINEAGE], s[LINEAGE]);
    let grey = 0;
    (out?.clips as VideoClip[]).forEach((c, i) => {
      const src = clips[i] as VideoClip;
      if (c === src) return;
      grey++;
      assert.deepEqual(Array.from(c.data), Array.from(grayscale3(src.data as Uint8Array, new Uint8Array(src.data.length))));
      assert.deepEqual([c.fps, c.start, c.stride], [12, 5, 3]);
    });
    assert.ok(grey > 8 && grey < 32, `${grey} of 40 grey at p = 0.5`);
    const one: VideoClip = { data: new Uint8Array(4), shape: [1, 2, 2, 1], fps: 1, start: 0, stride: 1, padded: 0 };
    const g = ledger.sample('g', { mp4: one });
    assert.equal((await collect(from([g]).pipe(clipRandomGrayscale({ p: 1, seed: 1 }))))[0], g, 'a 1-channel clip is already grey');
    await assert.rejects(collect(from([ledger.sample('f', { mp4: { ...one, data: new Float32Array(4) } })]).pipe(clipRandomGrayscale({ p: 1, seed: 1 }))), (e: unknown) => e instanceof SampleError && e.reason === 'clip-random-grayscale');
    assert.throws(() => clipRandomGrayscale({ p: 3, seed: 1 }), RangeError);
  });
});
