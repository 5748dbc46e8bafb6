import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planMovingFmnistClip } from '../../sources/datasets/moving-fmnist-plan.js';
import {
  compassDirectionOf,
  MOVING_FMNIST_DIRECTIONS,
  renderMovingFmnist,
} from '../../sources/datasets/moving-fmnist-render.js';

const SIDE = 28;
const SIZE = 64;
const MAX = SIZE - SIDE;
const solid = (value: number): Uint8Array => new Uint8Array(SIDE * SIDE).fill(value);

/** The bounding box [x0, y0, x1, y1) of the non-zero pixels of frame t, or undefined when the frame is black. */
function bbox(data: Uint8Array, t: number, size = SIZE): [number, number, number, number] | undefined {
  let x0 = Infinity,
    y0 = Infinity,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (data[t * size * size + y * size + x] !== 0) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x + 1);
        y1 = Math.max(y1, y + 1);
      }
    }
  }
  return x1 < 0 ? undefined : [x0, y0, x1, y1];
}

describe('renderMovingFmnist', () => {
  it('draws the item wholly inside the canvas at its rounded position in every frame (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX }),
        fc.integer({ min: 0, max: MAX }),
        fc.double({ min: -40, max: 40, noNaN: true }),
        fc.double({ min: -40, max: 40, noNaN: true }),
        fc.integer({ min: 1, max: 24 }),
        (x, y, vx, vy, frames) => {
          const clip = renderMovingFmnist([{ image: solid(9), start: [x, y], velocity: [vx, vy] }], { frames });
          assert.deepEqual(clip.shape, [frames, SIZE, SIZE]);
          assert.equal(clip.data.length, frames * SIZE * SIZE);
          assert.deepEqual(clip.positions[0]![0], [x, y]);
          for (let t = 0; t < frames; t++) {
            const [px, py] = clip.positions[0]![t]!;
            assert.ok(px >= 0 && px <= MAX && py >= 0 && py <= MAX, `frame ${t} at ${px},${py}`);
            assert.deepEqual(bbox(clip.data, t), [px, py, px + SIDE, py + SIDE]);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('bounces off the walls: position reflected, velocity component negated, bounce frames recorded', () => {
    const clip = renderMovingFmnist([{ image: solid(1), start: [MAX - 1, 1], velocity: [3, -2] }], { frames: 5 });
    // x: 35 -> 38 reflects to 34 (vx -3) -> 31 -> 28 -> 25; y: 1 -> -1 reflects to 1 (vy +2) -> 3 -> 5 -> 7
    assert.deepEqual(clip.positions[0], [
      [35, 1],
      [34, 1],
      [31, 3],
      [28, 5],
      [25, 7],
    ]);
    assert.deepEqual(clip.bounces, [[1]]);
    assert.deepEqual(clip.frameVelocities[0], [
      [3, -2],
      [-3, 2],
      [-3, 2],
      [-3, 2],
      [-3, 2],
    ]);
    const far = renderMovingFmnist([{ image: solid(1), start: [0, 0], velocity: [2, 0] }], { frames: 40 });
    const xs = far.positions[0]!.map(([x]) => x);
    assert.equal(Math.max(...xs), MAX);
    assert.deepEqual(far.bounces[0], [19, 37]); // at 36 in frame 18 (touching is not a bounce), reflected in 19; at 0 in 36, reflected in 37
    assert.deepEqual(xs.slice(17, 21), [34, 36, 34, 32]);
  });

  it('combines overlapping items with the maximum', () => {
    const clip = renderMovingFmnist(
      [
        { image: solid(100), start: [0, 0], velocity: [0, 1] },
        { image: solid(200), start: [10, 0], velocity: [0, 1] },
        { image: solid(50), start: [5, 0], velocity: [0, 1] },
      ],
      { frames: 2 },
    );
    const at = (t: number, x: number, y: number): number => clip.data[t * SIZE * SIZE + y * SIZE + x]!;
    assert.equal(at(0, 2, 5), 100);
    assert.equal(at(0, 12, 5), 200);
    assert.equal(at(0, 30, 5), 200);
    assert.equal(at(0, 37, 5), 200);
    assert.equal(at(0, 38, 5), 0);
    assert.equal(at(1, 2, 0), 0);
    assert.equal(at(1, 2, 1), 100);
  });

  it('rejects bad items and options', () => {
    assert.throws(() => renderMovingFmnist([]), TypeError);
    assert.throws(
      () => renderMovingFmnist([{ image: new Uint8Array(27 * 28), start: [0, 0], velocity: [1, 1] }]),
      /must be a square/,
    );
    assert.throws(
      () => renderMovingFmnist([{ image: solid(1), start: [MAX + 1, 0], velocity: [1, 1] }]),
      /start must lie in \[0, 36\]/,
    );
    assert.throws(
      () => renderMovingFmnist([{ image: solid(1), start: [0, 0], velocity: [Number.NaN, 1] }]),
      /velocity must be finite/,
    );
    assert.throws(
      () => renderMovingFmnist([{ image: solid(1), start: [0, 0], velocity: [1, 1] }], { frames: 0 }),
      /frames must be in \[1, 10000\]: current value is 0/,
    );
    assert.throws(
      () => renderMovingFmnist([{ image: solid(1), start: [0, 0], velocity: [1, 1] }], { size: 20 }),
      /side must be at most the canvas size 20/,
    );
  });
});

describe('compassDirectionOf', () => {
  it('names the eight compass points, north up', () => {
    const cases: [number, number, string][] = [
      [3, 0, 'E'],
      [2, -2, 'NE'],
      [0, -3, 'N'],
      [-2, -2, 'NW'],
      [-3, 0, 'W'],
      [-2, 2, 'SW'],
      [0, 3, 'S'],
      [2, 2, 'SE'],
      [3, 1, 'E'],
      [3, -1, 'E'],
      [-3, 0.1, 'W'],
    ];
    for (const [vx, vy, name] of cases)
      assert.equal(MOVING_FMNIST_DIRECTIONS[compassDirectionOf([vx, vy])], name, `${vx},${vy}`);
    assert.throws(() => compassDirectionOf([0, 0]), RangeError);
  });
});

describe('planMovingFmnistClip', () => {
  it('draws speeds in [2, 4), directions whose label matches the velocity, items from the pool, starts in the canvas', () => {
    const seen = new Set<number>();
    for (let index = 0; index < 400; index++) {
      const plan = planMovingFmnistClip(7, 'train', index, { items: 2, pool: 13 });
      assert.equal(plan.items.length, 2);
      for (let j = 0; j < 2; j++) {
        const [vx, vy] = plan.velocities[j]!;
        const speed = Math.hypot(vx, vy);
        assert.ok(speed >= 2 - 1e-5 && speed < 4 + 1e-5, `speed ${speed}`);
        assert.equal(compassDirectionOf([vx, vy]), plan.directions[j]);
        assert.ok(plan.items[j]! >= 0 && plan.items[j]! < 13);
        for (const c of plan.starts[j]!) assert.ok(Number.isInteger(c) && c >= 0 && c <= MAX);
        seen.add(plan.directions[j]!);
      }
    }
    assert.equal(seen.size, 8);
  });

  it('the rendered motion goes the labelled way before the first bounce, and the per-frame way after', () => {
    let checked = 0;
    let later = 0;
    for (let index = 0; index < 300; index++) {
      const plan = planMovingFmnistClip(11, 'test', index, { items: 1, pool: 5 });
      const clip = renderMovingFmnist([{ image: solid(77), start: plan.starts[0]!, velocity: plan.velocities[0]! }], {
        frames: 20,
      });
      const last = (clip.bounces[0]![0] ?? 20) - 1; // the last frame before the first bounce
      const a = bbox(clip.data, 0)!;
      const b = bbox(clip.data, last)!;
      const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
      // Rounding moves each end by at most half a pixel per axis: over >= 12 px the angle error is < 7 degrees,
      // inside the 22.5 - 15 degrees margin of the jittered velocity.
      if (Math.hypot(dx, dy) < 12) continue;
      assert.equal(compassDirectionOf([dx, dy]), plan.directions[0], `clip ${index}: moved ${dx},${dy}`);
      checked++;
      // After the first bounce the per-frame label follows the reflected velocity: check the motion
      // from a frame after a bounce to the frame before the next one, where it is long enough.
      const hits = clip.bounces[0]!;
      for (const [k, from] of hits.entries()) {
        const to = (hits[k + 1] ?? 20) - 1;
        const p = bbox(clip.data, from)!;
        const q = bbox(clip.data, to)!;
        if (Math.hypot(q[0] - p[0], q[1] - p[1]) < 12) continue;
        assert.equal(
          compassDirectionOf([q[0] - p[0], q[1] - p[1]]),
          compassDirectionOf(clip.frameVelocities[0]![from]!),
          `clip ${index} frames ${from}..${to}`,
        );
        later++;
      }
    }
    assert.ok(checked >= 50, `checked ${checked} clips`);
    assert.ok(later >= 20, `checked ${later} stretches after a bounce`);
  });

  it('is reproducible per (seed, split, index) and differs across seeds, splits and indices', () => {
    const a = planMovingFmnistClip(3, 'train', 5, { items: 2, pool: 1000 });
    assert.deepEqual(planMovingFmnistClip(3, 'train', 5, { items: 2, pool: 1000 }), a);
    assert.notDeepEqual(planMovingFmnistClip(4, 'train', 5, { items: 2, pool: 1000 }), a);
    assert.notDeepEqual(planMovingFmnistClip(3, 'test', 5, { items: 2, pool: 1000 }), a);
    assert.notDeepEqual(planMovingFmnistClip(3, 'train', 6, { items: 2, pool: 1000 }), a);
    // the first item of a 2-item clip is the 1-item clip's item
    const one = planMovingFmnistClip(3, 'train', 5, { items: 1, pool: 1000 });
    assert.deepEqual([one.items[0], one.starts[0], one.velocities[0]], [a.items[0], a.starts[0], a.velocities[0]]);
  });
});
