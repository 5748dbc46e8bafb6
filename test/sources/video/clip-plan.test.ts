import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Random } from '../../../sources/random.js';
import { clipSpan, lastFrameNeeded, planClips, type ClipMode } from '../../../sources/video/clip-plan.js';

const rng = (seed: number) => Random.derive(seed, 'test');

describe('planClips', () => {
  it('uniform: evenly spaced starts from 0 to n - span, one clip in the centre', () => {
    const s = { frames: 4, stride: 2, mode: 'uniform' as const, clips: 3 };
    assert.equal(clipSpan(s), 7);
    assert.deepEqual(
      planClips(27, s, rng(1)).map((w) => w.start),
      [0, 10, 20],
    );
    assert.deepEqual(planClips(27, s, rng(1))[1]?.indices, [10, 12, 14, 16]);
    assert.deepEqual(
      planClips(27, { ...s, clips: 1 }, rng(1)).map((w) => w.start),
      [10],
    );
  });

  it('short video: clips start at 0 and repeat the last frame, counted in padded', () => {
    const w = planClips(5, { frames: 4, stride: 2, mode: 'random', clips: 1 }, rng(2));
    assert.deepEqual(w, [{ start: 0, indices: [0, 2, 4, 4], padded: 1 }]);
    assert.equal(lastFrameNeeded(w), 4);
  });

  it('random: same generator seed, same start; starts cover the whole range', () => {
    const s = { frames: 8, stride: 1, mode: 'random' as const, clips: 1 };
    assert.deepEqual(planClips(100, s, rng(3)), planClips(100, s, rng(3)));
    const starts = new Set(Array.from({ length: 400 }, (_, i) => planClips(20, s, rng(i))[0]?.start));
    assert.deepEqual(
      [...starts].sort((a, b) => (a as number) - (b as number)),
      Array.from({ length: 13 }, (_, i) => i),
    );
  });

  it('property: every window is in range, has T indices with the stride, distinct multi starts when there is room', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom<ClipMode>('random', 'uniform', 'multi'),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 1000 }),
        (n, frames, stride, mode, clips, seed) => {
          const s = { frames, stride, mode, clips: mode === 'random' ? 1 : clips };
          const windows = planClips(n, s, rng(seed));
          assert.equal(windows.length, s.clips);
          const span = clipSpan(s);
          for (const w of windows) {
            assert.equal(w.indices.length, frames);
            assert.ok(w.start >= 0 && w.start <= Math.max(0, n - span));
            w.indices.forEach((i, t) => assert.equal(i, Math.min(w.start + t * stride, n - 1)));
            assert.equal(w.padded, w.indices.filter((_, t) => w.start + t * stride > n - 1).length);
            assert.equal(w.padded > 0, n < span);
          }
          if (mode === 'multi' && n - span + 1 >= s.clips)
            assert.equal(new Set(windows.map((w) => w.start)).size, s.clips);
        },
      ),
    );
  });
});
