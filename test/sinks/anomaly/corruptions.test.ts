import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CORRUPTION_NAMES, createCorruption } from '../../../sinks/anomaly/corruptions.js';
import { Random } from '../../../sources/random.js';
import type { ImageBatch } from '../../../sources/sample.js';

function images(n: number, h: number, w: number, c: number, seed = 1): ImageBatch {
  const rng = Random.derive(seed, 'images');
  const data = new Uint8Array(n * h * w * c);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
  return { data, shape: [n, h, w, c] };
}
const keysOf = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`);

describe('createCorruption', () => {
  it('registers the six corruptions', () => {
    assert.deepEqual(
      [...CORRUPTION_NAMES],
      ['gaussian-noise', 'shot-noise', 'impulse-noise', 'gaussian-blur', 'contrast', 'pixelate'],
    );
  });

  for (const name of CORRUPTION_NAMES) {
    it(`${name}: keeps shape and dtype, changes pixels, leaves the input alone, is deterministic per (seed, key)`, () => {
      const batch = images(3, 12, 10, 2);
      const before = batch.data.slice();
      const c = createCorruption(name);
      const out = c.apply(batch, { seed: 5, keys: keysOf(3) });
      assert.ok(out.data instanceof Uint8Array);
      assert.deepEqual(out.shape, [3, 12, 10, 2]);
      assert.notEqual(out.data, batch.data);
      assert.deepEqual(batch.data, before);
      let changed = 0;
      for (let i = 0; i < before.length; i++) if (out.data[i] !== before[i]) changed++;
      assert.ok(changed > before.length * 0.05, `${name} changed only ${changed} of ${before.length}`);
      assert.deepEqual(createCorruption(name).apply(batch, { seed: 5, keys: keysOf(3) }).data, out.data);
      // an image's output depends on its own key only
      const single = c.apply({ data: batch.data.slice(0, 240), shape: [1, 12, 10, 2] }, { seed: 5, keys: ['k0'] });
      assert.deepEqual(single.data, out.data.subarray(0, 240));
    });
  }

  it('random corruptions differ by seed and by key', () => {
    const batch = images(1, 8, 8, 1);
    for (const name of ['gaussian-noise', 'shot-noise', 'impulse-noise']) {
      const c = createCorruption(name);
      const a = c.apply(batch, { seed: 1, keys: ['a'] }).data;
      assert.notDeepEqual(c.apply(batch, { seed: 2, keys: ['a'] }).data, a, name);
      assert.notDeepEqual(c.apply(batch, { seed: 1, keys: ['b'] }).data, a, name);
    }
  });

  it('bounded: noise of the stated size, salt and pepper only, blur within the neighbourhood, contrast towards the mean', () => {
    const flat = { data: new Uint8Array(4000).fill(128), shape: [10, 20, 20, 1] as const };
    const keys = keysOf(10);
    const g = createCorruption('gaussian-noise', { sigma: 0.1 }).apply(flat, { seed: 1, keys }).data;
    let sq = 0;
    for (const v of g) sq += (v - 128) ** 2;
    const sd = Math.sqrt(sq / g.length);
    assert.ok(Math.abs(sd - 25.5) < 2, `noise sd ${sd}`);

    const imp = createCorruption('impulse-noise', { amount: 0.2 }).apply(flat, { seed: 1, keys }).data;
    let hit = 0;
    for (const v of imp) {
      assert.ok(v === 128 || v === 0 || v === 255);
      if (v !== 128) hit++;
    }
    assert.ok(Math.abs(hit / imp.length - 0.2) < 0.03, `impulse fraction ${hit / imp.length}`);

    const shot = createCorruption('shot-noise').apply(flat, { seed: 1, keys }).data;
    let mean = 0;
    for (const v of shot) mean += v;
    mean /= shot.length;
    assert.ok(Math.abs(mean - 128) < 5, `shot noise mean ${mean}`);

    const batch = images(2, 9, 9, 1);
    const blur = createCorruption('gaussian-blur').apply(batch, { seed: 1, keys: keysOf(2) }).data;
    let lo = 255;
    let hi = 0;
    for (const v of batch.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    for (const v of blur) assert.ok(v >= lo && v <= hi);

    const con = createCorruption('contrast', { factor: 0.5 }).apply(batch, { seed: 1, keys: keysOf(2) }).data;
    for (let i = 0; i < 2; i++) {
      let m = 0;
      for (let p = 0; p < 81; p++) m += batch.data[i * 81 + p]!;
      m /= 81;
      for (let p = 0; p < 81; p++)
        assert.ok(Math.abs(con[i * 81 + p]! - m) <= Math.abs(batch.data[i * 81 + p]! - m) * 0.5 + 0.5 + 1e-9);
    }

    const pix = createCorruption('pixelate', { block: 3 }).apply(batch, { seed: 1, keys: keysOf(2) }).data;
    // every 3x3 block is one value, the block's rounded mean
    let sum = 0;
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) sum += batch.data[y * 9 + x]!;
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) assert.equal(pix[y * 9 + x], Math.round(sum / 9));
  });

  it('rejects unknown names, foreign or bad options, float batches and mismatched keys', () => {
    assert.throws(
      () => createCorruption('fog'),
      /Cannot create a corruption as the name must be one of gaussian-noise, shot-noise/,
    );
    assert.throws(
      () => createCorruption('contrast', { sigma: 1 }),
      (e: unknown) => e instanceof TypeError && /its only option is factor/.test(e.message),
    );
    assert.throws(() => createCorruption('contrast', { factor: 2 }), /factor must be in \[0, 1\]: current value is 2/);
    assert.throws(() => createCorruption('pixelate', { block: 2.5 }), RangeError);
    const c = createCorruption('contrast');
    assert.throws(
      () => c.apply({ data: new Float32Array(4), shape: [1, 2, 2, 1] }, { seed: 1, keys: ['a'] }),
      TypeError,
    );
    assert.throws(
      () => c.apply(images(2, 2, 2, 1), { seed: 1, keys: ['a'] }),
      /keys must have one key per image \(2\)/,
    );
  });
});
