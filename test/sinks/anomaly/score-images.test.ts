import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { scoreImages } from '../../../sinks/anomaly/score-images.js';
import { createDcgan } from '../../../sinks/gan/dcgan.js';
import { imageBatchToTensor } from '../../../sinks/gan/to-tensor.js';
import { Random } from '../../../sources/random.js';
import type { ImageBatch } from '../../../sources/sample.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

function images(n: number, seed = 1): ImageBatch {
  const rng = Random.derive(seed, 'score');
  const data = new Uint8Array(n * 8 * 8);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
  return { data, shape: [n, 8, 8, 1] };
}

describe('scoreImages', () => {
  it("gives D's logit per image, whatever the pass size, keeps keys and the tensor count flat", async () => {
    const tf = await getTf();
    const { generator, discriminator } = createDcgan(tf, { z: 8, ch: 4, size: 8, channels: 1, seed: 1 });
    try {
      const batch = images(7);
      const x = imageBatchToTensor(tf, batch);
      const y = discriminator.apply(x, { training: false }) as TFJS.Tensor;
      const expected = y.dataSync().slice();
      tf.dispose([x, y]);
      const before = tf.memory().numTensors;
      const whole = await scoreImages(tf, discriminator, batch, { batchSize: 3 });
      assert.equal(tf.memory().numTensors, before);
      assert.ok(whole.scores instanceof Float32Array);
      assert.equal(whole.scores.length, 7);
      for (let i = 0; i < 7; i++) assert.ok(Math.abs(whole.scores[i]! - expected[i]!) < 1e-5);
      assert.deepEqual(whole.keys, ['0', '1', '2', '3', '4', '5', '6']);
      // several keyed batches (async), one pass each
      async function* parts() {
        yield {
          images: { data: batch.data.slice(0, 4 * 64), shape: [4, 8, 8, 1] as const },
          keys: ['a', 'b', 'c', 'd'],
        };
        yield { images: { data: batch.data.slice(4 * 64), shape: [3, 8, 8, 1] as const }, keys: ['e', 'f', 'g'] };
      }
      const split = await scoreImages(tf, discriminator, parts());
      assert.deepEqual(split.keys, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
      for (let i = 0; i < 7; i++) assert.ok(Math.abs(split.scores[i]! - expected[i]!) < 1e-5);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      generator.dispose();
      discriminator.dispose();
    }
  });

  it('rejects bad inputs without leaking tensors', async () => {
    const tf = await getTf();
    const { generator, discriminator } = createDcgan(tf, { z: 8, ch: 4, size: 8, channels: 1, seed: 1 });
    try {
      const before = tf.memory().numTensors;
      await assert.rejects(
        scoreImages(tf, discriminator, images(2), { batchSize: 0 }),
        /batchSize must be in \[1, 1048576\]/,
      );
      await assert.rejects(
        scoreImages(tf, discriminator, { images: images(2), keys: ['a'] }),
        /keys must have one key per image \(2\)/,
      );
      await assert.rejects(scoreImages(tf, discriminator, [{ nope: 1 } as never]), TypeError);
      // a network refusing the images (16 px into an 8 px D)
      await assert.rejects(scoreImages(tf, discriminator, { data: new Uint8Array(256), shape: [1, 16, 16, 1] }));
      assert.equal(tf.memory().numTensors, before);
    } finally {
      generator.dispose();
      discriminator.dispose();
    }
  });
});
