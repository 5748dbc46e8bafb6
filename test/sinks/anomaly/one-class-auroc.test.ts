import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneClassAuroc } from '../../../sinks/anomaly/one-class-auroc.js';

describe('oneClassAuroc', () => {
  it('takes the normal class as the positives and every other class as negatives', () => {
    const labels = new Float64Array([0, 1, 2, 0, 9]);
    assert.equal(oneClassAuroc([5, 1, 2, 4, 3], labels, 0), 1);
    assert.equal(oneClassAuroc([5, 1, 2, 4, 3], labels, 1), 0);
    // class 2 (score 2) beats class 1 only: 1 of 4
    assert.equal(oneClassAuroc([5, 1, 2, 4, 3], labels, 2), 0.25);
  });

  it('throws when the normal class is absent or alone', () => {
    assert.throws(() => oneClassAuroc([1, 2], [1, 2], 3), /must include the normal class 3/);
    assert.throws(() => oneClassAuroc([1, 2], [3, 3], 3), /must include another class than the normal one/);
    assert.throws(() => oneClassAuroc([1, 2], [1.5, 2], 1), TypeError);
    assert.throws(() => oneClassAuroc([1, 2], [1, 2], 0.5), TypeError);
  });
});
