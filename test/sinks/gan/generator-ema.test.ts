import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { GeneratorEma } from '../../../sinks/gan/generator-ema.js';
import { createDcgan } from '../../../sinks/gan/dcgan.js';

async function loadTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'cpu' });
  return await import('@tensorflow/tfjs');
}

/** A dense 3 -> 2 layer; weights given as [kernel (6 values), bias (2 values)]. */
function tinyModel(tf: typeof TFJS): TFJS.LayersModel {
  return tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
}

function setWeights(tf: typeof TFJS, model: TFJS.LayersModel, kernel: number[], bias: number[]): void {
  const tensors = [tf.tensor2d(kernel, [3, 2]), tf.tensor1d(bias)];
  model.setWeights(tensors);
  tf.dispose(tensors);
}

async function valuesOf(tensors: readonly TFJS.Tensor[]): Promise<number[][]> {
  return Promise.all(tensors.map(async (t) => Array.from(await t.data())));
}

function assertClose(actual: number[][], expected: number[][], tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((row, i) => {
    assert.equal(row.length, expected[i]!.length);
    row.forEach((v, j) =>
      assert.ok(Math.abs(v - expected[i]![j]!) <= tolerance, `[${i}][${j}]: ${v} vs ${expected[i]![j]}`),
    );
  });
}

const K0 = [1, -2, 3, 0.5, -1, 2];
const B0 = [0.25, -0.75];
const K1 = [-1, 4, 0, 2.5, 3, -2];
const B1 = [1, 2];

describe('GeneratorEma', () => {
  it('copies the weights before start, then matches the closed form d^k w0 + (1 - d^k) w1', async () => {
    const tf = await loadTf();
    const model = tinyModel(tf);
    const d = 0.9;
    const ema = new GeneratorEma(tf, model, { decay: d, start: 2 });
    setWeights(tf, model, K1, B1);
    ema.update(0); // copy of w1, forgotten by the next copy
    setWeights(tf, model, K0, B0);
    ema.update(1); // copy of w0
    assertClose(await valuesOf(ema.weights().map((w) => w.tensor)), [K0, B0]);
    setWeights(tf, model, K1, B1);
    for (let k = 1; k <= 5; k++) {
      ema.update(1 + k);
      const dk = d ** k;
      const expected = [K0, B0].map((w0, i) => w0.map((v, j) => dk * v + (1 - dk) * [K1, B1][i]![j]!));
      assertClose(await valuesOf(ema.weights().map((w) => w.tensor)), expected);
    }
    // The live weights are untouched by the average.
    assertClose(await valuesOf(model.getWeights()), [K1, B1], 0);
    ema.dispose();
    model.dispose();
  });

  it('averages from step 0 with start 0 (the initial average is the weights at creation)', async () => {
    const tf = await loadTf();
    const model = tinyModel(tf);
    setWeights(tf, model, K0, B0);
    const ema = new GeneratorEma(tf, model, { decay: 0.5, start: 0 });
    setWeights(tf, model, K1, B1);
    ema.update(0);
    assertClose(
      await valuesOf(ema.weights().map((w) => w.tensor)),
      [K0, B0].map((w0, i) => w0.map((v, j) => 0.5 * v + 0.5 * [K1, B1][i]![j]!)),
    );
    ema.dispose();
    model.dispose();
  });

  it('swaps the averages into the model for sampling and restores the live weights', async () => {
    const tf = await loadTf();
    const model = tinyModel(tf);
    setWeights(tf, model, K0, B0);
    const ema = new GeneratorEma(tf, model, { decay: 0.5, start: 0 });
    setWeights(tf, model, K1, B1);
    ema.update(0);
    const averaged = [K0, B0].map((w0, i) => w0.map((v, j) => 0.5 * v + 0.5 * [K1, B1][i]![j]!));
    const x = tf.tensor2d([[1, 2, 3]]);
    const out = await ema.withEmaWeights(async () => {
      assertClose(await valuesOf(model.getWeights()), averaged);
      assert.throws(() => ema.update(1), /Cannot update a generator EMA as the averages are swapped in/);
      assert.throws(() => ema.weights(), /swapped in/);
      assert.throws(() => ema.swapIn(), /swapped in/);
      const y = model.predict(x) as TFJS.Tensor;
      const values = Array.from(await y.data());
      y.dispose();
      return values;
    });
    // y = x K + b with the averaged kernel [[0, 1], [1.5, 1.5], [1, 0]] and bias [0.625, 0.625].
    assertClose([out], [[0 + 3 + 3 + 0.625, 1 + 3 + 0 + 0.625]]);
    assertClose(await valuesOf(model.getWeights()), [K1, B1], 0);
    assertClose(await valuesOf(ema.weights().map((w) => w.tensor)), averaged);
    // Restored also when the function throws.
    await assert.rejects(
      ema.withEmaWeights(() => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assertClose(await valuesOf(model.getWeights()), [K1, B1], 0);
    assert.throws(() => ema.swapOut(), /Cannot swap out a generator EMA as it must be swapped in/);
    ema.swapIn();
    assertClose(await valuesOf(model.getWeights()), averaged);
    ema.swapOut();
    assertClose(await valuesOf(model.getWeights()), [K1, B1], 0);
    x.dispose();
    ema.dispose();
    model.dispose();
  });

  it('keeps the tensor count flat over updates and swaps, and releases everything on dispose', async () => {
    const tf = await loadTf();
    const before = tf.memory().numTensors;
    const { generator, discriminator } = createDcgan(tf, { z: 8, ch: 4, size: 16, channels: 1, seed: 1 });
    discriminator.dispose();
    const withModel = tf.memory().numTensors;
    const ema = new GeneratorEma(tf, generator, { start: 3 });
    const withEma = tf.memory().numTensors;
    assert.equal(withEma - withModel, generator.trainableWeights.length);
    const z = tf.randomNormal([2, 8], 0, 1, 'float32', 1);
    for (let step = 0; step < 8; step++) {
      ema.update(step);
      await ema.withEmaWeights(() => tf.tidy(() => generator.predict(z) as TFJS.Tensor).dispose());
      assert.equal(tf.memory().numTensors, withEma + 1, `step ${step}`);
    }
    z.dispose();
    ema.dispose();
    ema.dispose();
    assert.equal(tf.memory().numTensors, withModel);
    assert.throws(() => ema.update(9), /Cannot update a generator EMA as it is disposed/);
    generator.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it("names its weights after the generator's and loads them back from a checkpoint", async () => {
    const tf = await loadTf();
    const model = tinyModel(tf);
    setWeights(tf, model, K0, B0);
    const ema = new GeneratorEma(tf, model);
    assert.deepEqual(
      ema.weights().map((w) => w.name),
      model.trainableWeights.map((w) => w.originalName),
    );
    const saved = [tf.tensor2d(K1, [3, 2]), tf.tensor1d(B1)];
    ema.load(saved);
    tf.dispose(saved);
    assertClose(await valuesOf(ema.weights().map((w) => w.tensor)), [K1, B1], 0);
    const bad = [tf.zeros([2, 3]), tf.zeros([2])];
    assert.throws(
      () => ema.load(bad),
      /Cannot load a generator EMA as tensor 0 must have shape \[3, 2\]: current value is \[2,3\]/,
    );
    assert.throws(() => ema.load(bad.slice(1)), /as there must be 2 tensors: current value is 1/);
    tf.dispose(bad);
    ema.dispose();
    model.dispose();
  });

  it('validates its options and steps', async () => {
    const tf = await loadTf();
    const model = tinyModel(tf);
    assert.throws(
      () => new GeneratorEma(tf, model, { decay: 1 }),
      /Cannot create a generator EMA as decay must be in \(0, 1\): current value is 1/,
    );
    assert.throws(() => new GeneratorEma(tf, model, { decay: 0 }), RangeError);
    assert.throws(() => new GeneratorEma(tf, model, { decay: '0.9' as never }), TypeError);
    assert.throws(() => new GeneratorEma(tf, model, { decay: Number.NaN }), TypeError);
    assert.throws(
      () => new GeneratorEma(tf, model, { start: -1 }),
      /Cannot create a generator EMA as start must be >= 0: current value is -1/,
    );
    assert.throws(() => new GeneratorEma(tf, model, { start: 1.5 }), RangeError);
    const ema = new GeneratorEma(tf, model);
    assert.equal(ema.decay, 0.9999);
    assert.equal(ema.start, 1000);
    assert.throws(() => ema.update(-1), /Cannot update a generator EMA as step must be >= 0: current value is -1/);
    ema.dispose();
    model.dispose();
  });
});
