import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { hingeGeneratorLoss, hingeNdaLoss } from '../../../sinks/gan/hinge-nda-loss.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

// Fixed logits with values on both sides of each hinge, worked by hand:
//   real     [0.5, -2, 2, 1]   relu(1 - l) = [0.5, 3, 0, 0]   mean 3.5 / 4 = 0.875
//   fake     [0.5, -2, -0.5]   relu(1 + l) = [1.5, 0, 0.5]    mean 2 / 3
//   negative [-1.5, 1, 0]      relu(1 + l) = [0, 2, 1]        mean 1
// (relu(1 - negative) would be [2.5, 0, 1], mean 7/6: a flipped sign shows.)
const REAL = [0.5, -2, 2, 1];
const FAKE = [0.5, -2, -0.5];
const NEGATIVE = [-1.5, 1, 0];

describe('hingeNdaLoss', () => {
  it('computes each term by hand and weights fake by alpha, negative by beta', async () => {
    const tf = await getTf();
    const before = tf.memory().numTensors;
    const logits = { real: tf.tensor1d(REAL), fake: tf.tensor2d(FAKE, [3, 1]), negative: tf.tensor1d(NEGATIVE) };
    const cases: [number, number, number][] = [
      // alpha, beta, expected total
      [0.25, 0.75, 0.875 + 0.25 * (2 / 3) + 0.75 * 1],
      [1, 0, 0.875 + 2 / 3],
      [0, 0, 0.875],
      [0.5, 2, 0.875 + 1 / 3 + 2],
    ];
    for (const [alpha, beta, total] of cases) {
      const out = tf.tidy(() => {
        const l = hingeNdaLoss(tf, logits, alpha, beta);
        return tf.stack([l.loss, l.real, l.fake, l.negative]);
      });
      const [loss, real, fake, negative] = Array.from(out.dataSync());
      out.dispose();
      assert.ok(Math.abs(real! - 0.875) < 1e-6, `real term ${real}`);
      assert.ok(Math.abs(fake! - 2 / 3) < 1e-6, `fake term ${fake}`);
      assert.ok(Math.abs(negative! - 1) < 1e-6, `negative term ${negative}`);
      assert.ok(Math.abs(loss! - total) < 1e-6, `alpha ${alpha} beta ${beta}: loss ${loss}, expected ${total}`);
    }
    tf.dispose(Object.values(logits));
    assert.equal(tf.memory().numTensors, before);
  });

  it('is the plain hinge loss at alpha 1, beta 0 whatever the negatives', async () => {
    const tf = await getTf();
    const a = tf.tidy(
      () =>
        hingeNdaLoss(
          tf,
          { real: tf.tensor1d(REAL), fake: tf.tensor1d(FAKE), negative: tf.tensor1d([5, -9]) },
          1,
          0,
        ).loss.dataSync()[0]!,
    );
    assert.ok(Math.abs(a - (0.875 + 2 / 3)) < 1e-6, String(a));
  });
});

describe('hingeGeneratorLoss', () => {
  it('is -mean(D(G(z)))', async () => {
    const tf = await getTf();
    const g = tf.tidy(() => hingeGeneratorLoss(tf, tf.tensor2d(FAKE, [3, 1])).dataSync()[0]!);
    assert.ok(Math.abs(g - 2 / 3) < 1e-6, String(g));
  });
});
