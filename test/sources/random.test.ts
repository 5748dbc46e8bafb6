import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Random, deriveSeed, freshSeed } from '../../sources/random.js';

describe('random', () => {
  it('deriveSeed is stable, 32-bit, and tells parts and types apart', () => {
    assert.equal(deriveSeed(1, 'shuffle', 0), deriveSeed(1, 'shuffle', 0));
    assert.notEqual(deriveSeed(1, 'shuffle', 0), deriveSeed(1, 'shuffle', 1));
    assert.notEqual(deriveSeed(1, '2'), deriveSeed(1, 2));
    assert.notEqual(deriveSeed('ab', 'c'), deriveSeed('a', 'bc'));
    const s = deriveSeed('x');
    assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
  });

  it('Random.derive is reproducible and its state round-trips through JSON', () => {
    const a = Random.derive(3, 'x');
    const first = [a.int(0, 100), a.float(), a.int(-5, 5)];
    const b = Random.derive(3, 'x');
    assert.deepEqual([b.int(0, 100), b.float(), b.int(-5, 5)], first);
    const saved = JSON.parse(JSON.stringify(a.state())) as number[];
    const next = [a.int(0, 1000), a.int(0, 1000)];
    const c = Random.fromState(saved);
    assert.deepEqual([c.int(0, 1000), c.int(0, 1000)], next);
  });

  it('int stays in range, float in [0, 1), shuffle permutes', () => {
    const r = Random.derive(1);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(3, 7);
      assert.ok(v >= 3 && v <= 7);
      const f = r.float();
      assert.ok(f >= 0 && f < 1);
    }
    const arr = Array.from({ length: 50 }, (_, i) => i);
    const sh = r.shuffle([...arr]);
    assert.deepEqual(
      [...sh].sort((x, y) => x - y),
      arr,
    );
    assert.notDeepEqual(sh, arr);
  });

  it('freshSeed gives a 32-bit integer', () => {
    const s = freshSeed();
    assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
  });
});
