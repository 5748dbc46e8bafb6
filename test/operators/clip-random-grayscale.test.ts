import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { clipRandomGrayscale } from '../../operators/clip-random-grayscale.js';
import { grayscale3 } from '../../operators/image/color-ops.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE } from '../../sources/sample.js';
import type { VideoClip } from '../../sources/video/video-clip.js';
import { framesOf, randomFrame } from '../helpers/clip-frames.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

describe('clipRandomGrayscale', () => {
  it('turns whole clips grey (every frame, luma in all channels), one decision per clip', async () => {
    const ledger = new RecordingLedger();
    const clips = Array.from({ length: 40 }, (_, i) =>
      framesOf([randomFrame(2, 3, 3, i), randomFrame(2, 3, 3, i + 100)], 2, 3, 3),
    );
    const s = ledger.sample('a', { clips });
    const [out] = await collect(from([s]).pipe(clipRandomGrayscale({ p: 0.5, seed: 2 })));
    assert.equal(out?.[LINEAGE], s[LINEAGE]);
    let grey = 0;
    (out?.clips as VideoClip[]).forEach((c, i) => {
      const src = clips[i] as VideoClip;
      if (c === src) return;
      grey++;
      assert.deepEqual(
        Array.from(c.data),
        Array.from(grayscale3(src.data as Uint8Array, new Uint8Array(src.data.length))),
      );
      assert.deepEqual([c.fps, c.start, c.stride], [12, 5, 3]);
    });
    assert.ok(grey > 8 && grey < 32, `${grey} of 40 grey at p = 0.5`);
    const one: VideoClip = { data: new Uint8Array(4), shape: [1, 2, 2, 1], fps: 1, start: 0, stride: 1, padded: 0 };
    const g = ledger.sample('g', { mp4: one });
    assert.equal(
      (await collect(from([g]).pipe(clipRandomGrayscale({ p: 1, seed: 1 }))))[0],
      g,
      'a 1-channel clip is already grey',
    );
    await assert.rejects(
      collect(
        from([ledger.sample('f', { mp4: { ...one, data: new Float32Array(4) } })]).pipe(
          clipRandomGrayscale({ p: 1, seed: 1 }),
        ),
      ),
      (e: unknown) => e instanceof SampleError && e.reason === 'clip-random-grayscale',
    );
    assert.throws(() => clipRandomGrayscale({ p: 3, seed: 1 }), RangeError);
  });
});
