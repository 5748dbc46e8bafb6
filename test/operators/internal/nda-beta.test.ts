import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sampleBeta } from '../../../operators/internal/nda-beta.js';
import { Random } from '../../../sources/random.js';

function moments(a: number, b: number, n = 20000): { mean: number; variance: number; min: number; max: number } {
  const rng = Random.derive(42, 'beta', a, b);
  const xs = Array.from({ length: n }, () => sampleBeta(rng, a, b));
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  return {
    mean,
    variance: xs.reduce((s, v) => s + (v - mean) ** 2, 0) / n,
    min: Math.min(...xs),
    max: Math.max(...xs),
  };
}

describe('sampleBeta', () => {
  // Fixed seeds: the assertions are exact for this generator; the bounds (>= 5 standard errors) are what a correct sampler meets.
  for (const [a, b] of [
    [25, 25],
    [1, 1],
    [2, 5],
    [0.5, 0.5],
    [0.1, 3],
    [0.01, 0.01],
  ] as const) {
    it(`matches the mean and variance of Beta(${a}, ${b})`, () => {
      const { mean, variance, min, max } = moments(a, b);
      const m = a / (a + b);
      const v = (a * b) / ((a + b) ** 2 * (a + b + 1));
      assert.ok(min >= 0 && max <= 1);
      assert.ok(Math.abs(mean - m) < 5 * Math.sqrt(v / 20000) + 1e-9, `mean ${mean} vs ${m}`);
      // The sample variance of a skewed Beta has a standard error of a few percent at n = 20,000.
      assert.ok(Math.abs(variance - v) < 0.2 * v, `variance ${variance} vs ${v}`);
    });
  }

  it('is deterministic given the generator, and never NaN for tiny shapes', () => {
    const a = Array.from({ length: 20 }, (_, i) => sampleBeta(Random.derive(1, i), 25, 25));
    const b = Array.from({ length: 20 }, (_, i) => sampleBeta(Random.derive(1, i), 25, 25));
    assert.deepEqual(a, b);
    const rng = Random.derive(3);
    for (let i = 0; i < 1000; i++) assert.ok(!Number.isNaN(sampleBeta(rng, 1e-4, 1e-4)));
  });
});
