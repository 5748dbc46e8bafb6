import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { auroc } from '../../../sinks/anomaly/auroc.js';

/** The definition: over every (positive, negative) pair, 1 when the positive scores higher, 1/2 on a tie. */
function pairwise(scores: readonly number[], labels: readonly number[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      sum += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return sum / pairs;
}

describe('auroc', () => {
  it('is 1 for a perfect ranking, 0 reversed, 0.5 when every score ties', () => {
    assert.equal(auroc([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]), 1);
    assert.equal(auroc([0.1, 0.3, 0.8, 0.9], [1, 1, 0, 0]), 0);
    assert.equal(auroc([2, 2, 2, 2, 2], [1, 0, 1, 0, 0]), 0.5);
  });

  it('counts a tie between a positive and a negative as 1/2', () => {
    // pairs: (3 vs 1) 1, (3 vs 2) 1, (2 vs 1) 1, (2 vs 2) 0.5 -> 3.5 / 4
    assert.equal(auroc([3, 2, 2, 1], [1, 1, 0, 0]), 0.875);
  });

  it('takes typed arrays, booleans and infinite scores', () => {
    assert.equal(auroc(new Float32Array([-Infinity, Infinity, 0]), [false, true, false]), 1);
    assert.equal(auroc(new Float64Array([1, 0]), new Uint8Array([0, 1])), 0);
  });

  it('matches the O(n^2) pairwise definition (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.boolean()), { minLength: 2, maxLength: 60 }),
        fc.boolean(),
        (items, real) => {
          const labels = items.map(([, l]) => (l ? 1 : 0));
          fc.pre(labels.includes(1) && labels.includes(0));
          // small integers force many ties; `real` spreads them out into floats
          const scores = items.map(([s], i) => (real ? s + i * 1e-3 : s));
          assert.ok(Math.abs(auroc(scores, labels) - pairwise(scores, labels)) < 1e-12);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('throws clear errors for missing classes, NaN, length and label mismatches', () => {
    assert.throws(
      () => auroc([1, 2], [1, 1]),
      /Cannot compute an AUROC as there must be at least one negative \(label 0\): current value is "2 item\(s\), 0 negative"/,
    );
    assert.throws(
      () => auroc([1, 2], [0, 0]),
      (e: unknown) => e instanceof RangeError && /at least one positive/.test(e.message),
    );
    assert.throws(() => auroc([], []), RangeError);
    assert.throws(() => auroc([1, NaN], [1, 0]), /scores must not be NaN \(score 1\): current value is NaN/);
    assert.throws(() => auroc([1, 2, 3], [1, 0]), /labels must have one value per score \(3\): current value is 2/);
    assert.throws(
      () => auroc([1, 2], [1, 2]),
      (e: unknown) => e instanceof TypeError && /labels must be 0 or 1 \(label 1\)/.test(e.message),
    );
    assert.throws(() => auroc('ab' as unknown as number[], [1, 0]), TypeError);
  });
});
