import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { countTrainableParams, createDcgan } from '../../../sinks/gan/dcgan.js';

async function loadTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'cpu' });
  return await import('@tensorflow/tfjs');
}

describe('createDcgan', () => {
  it("builds the benchmark networks with exactly the issue's parameter counts", async () => {
    const tf = await loadTf();
    const before = tf.memory().numTensors;
    const { generator, discriminator } = createDcgan(tf);
    assert.equal(countTrainableParams(generator), 1_187_907);
    assert.equal(countTrainableParams(discriminator), 662_977);
    // tfjs's own count adds batch norm's moving mean and variance (2 x (256 + 128 + 64)).
    assert.equal(generator.countParams(), 1_187_907 + 896);
    assert.equal(discriminator.countParams(), 662_977);
    assert.deepEqual(generator.inputs[0]!.shape, [null, 128]);
    assert.deepEqual(generator.outputs[0]!.shape, [null, 32, 32, 3]);
    assert.deepEqual(discriminator.inputs[0]!.shape, [null, 32, 32, 3]);
    assert.deepEqual(discriminator.outputs[0]!.shape, [null, 1]);
    generator.dispose();
    discriminator.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('maps latents to images in [-1, 1] and images to one logit each (small widths)', async () => {
    const tf = await loadTf();
    const { generator, discriminator } = createDcgan(tf, { z: 8, ch: 4, size: 16, channels: 1 });
    const z = tf.randomNormal([2, 8], 0, 1, 'float32', 1);
    const images = generator.apply(z, { training: true }) as TFJS.Tensor;
    assert.deepEqual(images.shape, [2, 16, 16, 1]);
    const values = await images.data();
    assert.ok(values.every((v) => v >= -1 && v <= 1));
    assert.ok(
      values.some((v) => v !== values[0]),
      'not a constant image',
    );
    const logits = discriminator.apply(images) as TFJS.Tensor;
    assert.deepEqual(logits.shape, [2, 1]);
    tf.dispose([z, images, logits]);
    generator.dispose();
    discriminator.dispose();
  });

  it('validates its options', async () => {
    const tf = await loadTf();
    assert.throws(
      () => createDcgan(tf, { size: 30 }),
      /Cannot create a DCGAN as size must be a multiple of 8 \(pad 28 px images to 32\): current value is 30/,
    );
    assert.throws(() => createDcgan(tf, { z: 0 }), RangeError);
    assert.throws(() => createDcgan(tf, { ch: 1.5 }), RangeError);
    assert.throws(() => createDcgan(tf, { channels: '3' as never }), TypeError);
  });
});

describe('createDcgan with a seed', () => {
  it('builds identical weights for the same seed and different ones for another seed', async () => {
    const tf = await loadTf();
    const options = { z: 8, ch: 4, size: 16, channels: 1 };
    const weightsOf = async (seed: number | undefined) => {
      const { generator, discriminator } = createDcgan(tf, { ...options, seed });
      const weights = [...generator.weights, ...discriminator.weights];
      const values = await Promise.all(weights.map((w) => w.read().data()));
      const kernels = weights.flatMap((w, i) => (w.originalName.endsWith('/kernel') ? [i] : []));
      generator.dispose();
      discriminator.dispose();
      return Object.assign(values, { kernels });
    };
    const a = await weightsOf(42);
    const b = await weightsOf(42);
    const c = await weightsOf(43);
    const unseeded = await weightsOf(undefined);
    assert.deepEqual(a, b);
    assert.equal(a.length, c.length);
    // Every kernel (4 in G, 4 in D) differs; biases and batch norm start at constants.
    assert.equal(a.kernels.length, 8);
    for (const i of a.kernels) assert.notDeepEqual(a[i], c[i], `weight ${i}`);
    assert.notDeepEqual(a[0], unseeded[0]);
    assert.throws(() => createDcgan(tf, { ...options, seed: -1 }), /Cannot create a DCGAN as seed must be in/);
  });
});
