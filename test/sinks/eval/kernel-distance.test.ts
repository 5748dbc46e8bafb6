import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FeatureMatrix } from '../../../sinks/eval/feature-matrix.js';
import { kernelDistance } from '../../../sinks/eval/kernel-distance.js';
import { Random } from '../../../sources/random.js';

function gaussianSet(n: number, d: number, seed: number, shift = 0): FeatureMatrix {
  const rng = Random.derive(seed, 'gauss');
  const data = new Float32Array(n * d);
  for (let i = 0; i < data.length; i++)
    data[i] = shift + Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
  return { data, shape: [n, d] };
}

/** The unbiased MMD^2 over all rows, straight from its definition. */
function referenceMmd(x: FeatureMatrix, y: FeatureMatrix): number {
  const [m, d] = x.shape;
  const k = (a: FeatureMatrix, i: number, b: FeatureMatrix, j: number) => {
    let dot = 0;
    for (let t = 0; t < d; t++) dot += a.data[i * d + t]! * b.data[j * d + t]!;
    return (dot / d + 1) ** 3;
  };
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i !== j) {
        xx += k(x, i, x, j);
        yy += k(y, i, y, j);
      }
      xy += k(x, i, y, j);
    }
  }
  return xx / (m * (m - 1)) + yy / (m * (m - 1)) - (2 * xy) / (m * m);
}

describe('kernelDistance', () => {
  it('equals the unbiased MMD^2 of its definition when a subset is the whole set (std 0)', () => {
    const x = gaussianSet(12, 5, 1);
    const y = gaussianSet(12, 5, 2, 0.5);
    const { mean, std } = kernelDistance(x, y, { subsets: 3, subsetSize: 12 });
    assert.ok(Math.abs(mean - referenceMmd(x, y)) < 1e-9, `${mean} vs ${referenceMmd(x, y)}`);
    assert.ok(std < 1e-9);
  });

  it('is about 0 for two samples of one distribution and clearly positive for shifted ones', () => {
    const a = gaussianSet(400, 8, 3);
    const b = gaussianSet(400, 8, 4);
    const same = kernelDistance(a, b, { subsets: 20, subsetSize: 100, seed: 1 });
    const shifted = kernelDistance(a, gaussianSet(400, 8, 5, 0.5), { subsets: 20, subsetSize: 100, seed: 1 });
    assert.ok(Math.abs(same.mean) < (3 * same.std) / Math.sqrt(20) + 0.02, `same: ${same.mean} +- ${same.std}`);
    assert.ok(
      shifted.mean > 10 * Math.abs(same.mean) && shifted.mean > (5 * shifted.std) / Math.sqrt(20),
      `shifted: ${shifted.mean} +- ${shifted.std}`,
    );
  });

  it('is unbiased: averaged over independent draws of one distribution it is ~0 and takes negative values', () => {
    const values: number[] = [];
    for (let s = 0; s < 40; s++)
      values.push(
        kernelDistance(gaussianSet(10, 3, 100 + s), gaussianSet(10, 3, 200 + s), { subsets: 1, subsetSize: 10 }).mean,
      );
    const mean = values.reduce((p, v) => p + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((p, v) => p + (v - mean) ** 2, 0) / (values.length - 1));
    assert.ok(
      values.some((v) => v < 0),
      'a biased (V-statistic) estimate is never negative',
    );
    assert.ok(Math.abs(mean) < (3 * sd) / Math.sqrt(values.length), `mean ${mean}, sd ${sd}`);
  });

  it('is deterministic given the seed, and its subsets depend on it', () => {
    const a = gaussianSet(60, 4, 7);
    const b = gaussianSet(60, 4, 8, 0.2);
    assert.deepEqual(
      kernelDistance(a, b, { subsets: 5, subsetSize: 20, seed: 3 }),
      kernelDistance(a, b, { subsets: 5, subsetSize: 20, seed: 3 }),
    );
    assert.notDeepEqual(
      kernelDistance(a, b, { subsets: 5, subsetSize: 20, seed: 3 }),
      kernelDistance(a, b, { subsets: 5, subsetSize: 20, seed: 4 }),
    );
  });

  it('validates its options', () => {
    const a = gaussianSet(5, 2, 1);
    assert.throws(() => kernelDistance(a, a, { subsets: 0 }), /Cannot compute a kernel distance as subsets/);
    assert.throws(() => kernelDistance(a, a, { subsetSize: 1 }), RangeError);
    assert.throws(() => kernelDistance(a, gaussianSet(5, 3, 1)), /one width/);
  });
});
