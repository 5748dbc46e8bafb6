import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { frechetDistance } from '../../../sinks/eval/frechet-distance.js';
import type { FeatureMatrix } from '../../../sinks/eval/feature-matrix.js';
import { Random } from '../../../sources/random.js';

/** 2d points mu +- t_k e_k: mean exactly mu, covariance exactly diag(2 t_k^2 / (2d - 1)) = diag(variances). */
function diagonalSet(mu: number[], variances: number[]): FeatureMatrix {
  const d = mu.length;
  const data = new Float64Array(2 * d * d);
  for (let k = 0; k < d; k++) {
    const t = Math.sqrt((variances[k]! * (2 * d - 1)) / 2);
    for (const [r, sign] of [
      [2 * k, 1],
      [2 * k + 1, -1],
    ] as const) {
      for (let j = 0; j < d; j++) data[r * d + j] = mu[j]! + (j === k ? sign * t : 0);
    }
  }
  return { data, shape: [2 * d, d] };
}

function gaussianSet(n: number, d: number, seed: number, shift = 0, scale = 1): FeatureMatrix {
  const rng = Random.derive(seed, 'gauss');
  const data = new Float64Array(n * d);
  for (let i = 0; i < data.length; i++) {
    const u = 1 - rng.float();
    data[i] = shift + scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.float());
  }
  return { data, shape: [n, d] };
}

/** Mean and unbiased covariance of 2-d points, for the 2x2 closed form. */
function moments2(f: FeatureMatrix): { m: number[]; s: number[] } {
  const n = f.shape[0];
  const m = [0, 0];
  for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) m[j]! += f.data[i * 2 + j]! / n;
  const s = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const a = f.data[i * 2]! - m[0]!;
    const b = f.data[i * 2 + 1]! - m[1]!;
    s[0]! += (a * a) / (n - 1);
    s[1]! += (a * b) / (n - 1);
    s[2]! += (b * b) / (n - 1);
  }
  return { m, s };
}

describe('frechetDistance', () => {
  it('matches the closed form for diagonal covariances: ||mu||^2 + sum (sqrt(a) - sqrt(b))^2', () => {
    const a = diagonalSet([0, 0, 0, 0], [1, 4, 9, 0.25]);
    const b = diagonalSet([1, -2, 0, 0.5], [4, 1, 9, 1]);
    const expected = 1 + 4 + 0 + 0.25 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0 + (0.5 - 1) ** 2;
    assert.ok(Math.abs(frechetDistance(a, b) - expected) < 1e-9, `${frechetDistance(a, b)} vs ${expected}`);
  });

  it('matches the 2x2 closed form Tr sqrt(S1 S2) = sqrt(Tr(S1 S2) + 2 sqrt(det S1 det S2)) for correlated sets', () => {
    for (const seed of [1, 2, 3]) {
      const x = gaussianSet(200, 2, seed);
      const y = gaussianSet(200, 2, seed + 10, 0.3, 2);
      for (let i = 0; i < 200; i++) y.data[i * 2 + 1]! += 0.8 * y.data[i * 2]!; // correlate y's dims
      const { m: m1, s: s1 } = moments2(x);
      const { m: m2, s: s2 } = moments2(y);
      const trProd = s1[0]! * s2[0]! + 2 * s1[1]! * s2[1]! + s1[2]! * s2[2]!;
      const det1 = s1[0]! * s1[2]! - s1[1]! ** 2;
      const det2 = s2[0]! * s2[2]! - s2[1]! ** 2;
      const expected =
        (m1[0]! - m2[0]!) ** 2 +
        (m1[1]! - m2[1]!) ** 2 +
        s1[0]! +
        s1[2]! +
        s2[0]! +
        s2[2]! -
        2 * Math.sqrt(trProd + 2 * Math.sqrt(det1 * det2));
      assert.ok(
        Math.abs(frechetDistance(x, y) - expected) < 1e-9,
        `seed ${seed}: ${frechetDistance(x, y)} vs ${expected}`,
      );
    }
  });

  it('is symmetric, zero for identical sets, and accepts float32 and float64', () => {
    const a = gaussianSet(300, 6, 4);
    const b = gaussianSet(250, 6, 5, 0.5, 1.5);
    const ab = frechetDistance(a, b);
    assert.ok(ab > 0.5);
    assert.ok(Math.abs(ab - frechetDistance(b, a)) < 1e-9 * ab);
    assert.ok(frechetDistance(a, a) < 1e-9);
    const a32: FeatureMatrix = { data: Float32Array.from(a.data), shape: a.shape };
    assert.ok(frechetDistance(a32, a32) < 1e-9);
    // a rank-deficient covariance (more dims than points) stays finite and non-negative
    assert.ok(frechetDistance(gaussianSet(3, 6, 6), gaussianSet(3, 6, 7)) >= 0);
  });

  it('rejects mismatched or malformed matrices', () => {
    const a = gaussianSet(10, 3, 1);
    assert.throws(
      () => frechetDistance(a, gaussianSet(10, 4, 1)),
      /Cannot compute a Frechet distance as featsA and featsB must have one width/,
    );
    assert.throws(
      () => frechetDistance(a, { data: new Float64Array(3), shape: [1, 3] }),
      /featsB must have at least 2 rows/,
    );
    assert.throws(() => frechetDistance(a, { data: new Float64Array(5), shape: [2, 3] }), /must hold 6 values/);
    assert.throws(() => frechetDistance(a, { data: [1, 2] as unknown as Float64Array, shape: [1, 2] }), TypeError);
    assert.throws(
      () => frechetDistance(a, { data: new Float64Array([1, 2, Number.NaN, 1, 2, 3]), shape: [2, 3] }),
      /finite/,
    );
  });
});
