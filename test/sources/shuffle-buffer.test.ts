import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShuffleBuffer } from '../../sources/shuffle-buffer.js';
import { Random } from '../../sources/random.js';

function run(items: readonly number[], size: number, initial: number | undefined, seed: number): number[] {
  const b = new ShuffleBuffer<number>({ size, initial }, Random.derive(seed));
  const out: number[] = [];
  let next = 0;
  for (;;) {
    while (next < items.length && b.needsMore()) b.add(items[next++] as number);
    if (b.length === 0) break;
    out.push(b.take());
  }
  return out;
}

describe('ShuffleBuffer', () => {
  it('gives a permutation, the same for the same seed, another for another seed', () => {
    const items = Array.from({ length: 500 }, (_, i) => i);
    const a = run(items, 100, undefined, 1);
    assert.deepEqual(
      [...a].sort((x, y) => x - y),
      items,
    );
    assert.deepEqual(run(items, 100, undefined, 1), a);
    assert.notDeepEqual(run(items, 100, undefined, 2), a);
    assert.notDeepEqual(a, items);
  });

  it('holds at most size items and starts giving out after initial (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 200 }),
        fc.nat(),
        (size, initial, n, seed) => {
          const b = new ShuffleBuffer<number>({ size, initial }, Random.derive(seed));
          let next = 0;
          let out = 0;
          while (next < n || b.length > 0) {
            while (next < n && b.needsMore()) b.add(next++);
            assert.ok(b.length <= size);
            if (next < n) assert.equal(b.length, Math.min(size, Math.min(initial, size) + out));
            b.take();
            out++;
          }
          assert.equal(out, n);
        },
      ),
    );
  });

  it('restores exactly from its items, generator state and count', () => {
    const items = Array.from({ length: 300 }, (_, i) => i);
    const full = run(items, 50, 10, 7);
    const b = new ShuffleBuffer<number>({ size: 50, initial: 10 }, Random.derive(7));
    const out: number[] = [];
    let next = 0;
    while (out.length < 120) {
      while (b.needsMore()) b.add(items[next++] as number);
      out.push(b.take());
    }
    const saved = JSON.parse(JSON.stringify({ items: b.items, rng: b.rngState(), taken: b.taken })) as {
      items: number[];
      rng: number[];
      taken: number;
    };
    const c = new ShuffleBuffer<number>({ size: 50, initial: 10 }, Random.derive(999));
    c.restore(Random.fromState(saved.rng), saved.items, saved.taken);
    for (;;) {
      while (next < items.length && c.needsMore()) c.add(items[next++] as number);
      if (c.length === 0) break;
      out.push(c.take());
    }
    assert.deepEqual(out, full);
  });

  it('validates its options', () => {
    assert.throws(() => new ShuffleBuffer({ size: 0 }, Random.derive(1)), RangeError);
    assert.throws(() => new ShuffleBuffer({ size: 1.5 }, Random.derive(1)), RangeError);
    assert.throws(() => new ShuffleBuffer({ size: 'x' as unknown as number }, Random.derive(1)), TypeError);
  });
});
