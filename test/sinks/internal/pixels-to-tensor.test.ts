import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { pixelsToTensor } from '../../../sinks/internal/pixels-to-tensor.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'cpu' });
  return await import('@tensorflow/tfjs');
}

const rounded = (t: TFJS.Tensor) => Array.from(t.dataSync()).map((v) => Math.round(v * 1e4) / 1e4);

describe('pixelsToTensor', () => {
  it('scales uint8 pixels of any rank to [-1, 1] and keeps the shape', async () => {
    const tf = await getTf();
    const before = tf.memory().numTensors;
    for (const shape of [[6], [2, 3], [1, 3, 2, 1], [1, 1, 3, 1, 2]]) {
      const t = pixelsToTensor(tf, 'convert', Uint8Array.from([0, 255, 51, 204, 127, 128]), shape);
      assert.deepEqual(t.shape, shape);
      assert.equal(t.dtype, 'float32');
      assert.deepEqual(rounded(t), [-1, 1, -0.6, 0.6, -0.0039, 0.0039]);
      t.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('takes float32 values as they are, and an empty batch as an empty tensor', async () => {
    const tf = await getTf();
    const values = Float32Array.from([0.25, -3, 7, 0]);
    const t = pixelsToTensor(tf, 'convert', values, [2, 2, 1, 1]);
    assert.deepEqual(Array.from(t.dataSync()), Array.from(values));
    t.dispose();
    const empty = pixelsToTensor(tf, 'convert', new Uint8Array(0), [0, 2, 2, 1]);
    assert.deepEqual(empty.shape, [0, 2, 2, 1]);
    empty.dispose();
  });

  it('refuses data that does not fill the shape, making no tensor', async () => {
    const tf = await getTf();
    const before = tf.memory().numTensors;
    assert.throws(
      () => pixelsToTensor(tf, 'convert the views to a tensor', new Uint8Array(7), [2, 2, 2, 1]),
      (e: Error) =>
        e instanceof RangeError &&
        e.message ===
          'Cannot convert the views to a tensor as data must hold 8 values for shape [2,2,2,1]: current value is 7',
    );
    assert.equal(tf.memory().numTensors, before);
  });
});
