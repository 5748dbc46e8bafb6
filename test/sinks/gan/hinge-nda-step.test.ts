import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { createDcgan } from '../../../sinks/gan/dcgan.js';
import { discriminatorStep, generatorStep, ndaGanStep } from '../../../sinks/gan/hinge-nda-step.js';

async function setup() {
  await selectBackend({ backend: 'wasm', threads: 2 });
  const tf = await import('@tensorflow/tfjs');
  const models = createDcgan(tf, { z: 16, ch: 8, size: 16, channels: 3 });
  const optimizers = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };
  const batch = (seed: number) => ({
    real: tf.randomUniform<TFJS.Rank.R4>([2, 16, 16, 3], -1, 1, 'float32', seed),
    negative: tf.randomUniform<TFJS.Rank.R4>([2, 16, 16, 3], -1, 1, 'float32', seed + 1),
    z: tf.randomNormal<TFJS.Rank.R2>([2, 16], 0, 1, 'float32', seed + 2),
    zG: tf.randomNormal<TFJS.Rank.R2>([2, 16], 0, 1, 'float32', seed + 3),
  });
  const snapshot = (model: TFJS.LayersModel) =>
    model.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()));
  const changed = (a: Float32Array[], b: Float32Array[]) => a.some((w, i) => w.some((v, j) => v !== b[i]![j]));
  return { tf, models, optimizers, batch, snapshot, changed };
}

describe('ndaGanStep', () => {
  it('keeps the tensor count flat over steps and returns finite losses', async () => {
    const { tf, models, optimizers, batch } = await setup();
    const counts: number[] = [];
    for (let step = 0; step < 3; step++) {
      const inputs = batch(10 * step);
      const losses = await ndaGanStep(tf, models, optimizers, inputs);
      assert.ok(Number.isFinite(losses.dLoss) && Number.isFinite(losses.gLoss), JSON.stringify(losses));
      assert.ok(losses.dLoss >= 0, 'a hinge loss is never negative');
      tf.dispose(Object.values(inputs));
      counts.push(tf.memory().numTensors);
    }
    assert.equal(counts[2], counts[1], `tensor counts after steps: ${counts.join(', ')}`);
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
    models.generator.dispose();
    models.discriminator.dispose();
  });

  it('updates D with G frozen, then G with D frozen', async () => {
    const { tf, models, optimizers, batch, snapshot, changed } = await setup();
    const { generator: G, discriminator: D } = models;
    const g0 = snapshot(G);
    const d0 = snapshot(D);
    // Spy on the generator update: snapshot both networks when G's optimizer is first asked to minimise.
    let gAtGUpdate: Float32Array[] | null = null;
    let dAtGUpdate: Float32Array[] | null = null;
    const minimize = optimizers.generator.minimize.bind(optimizers.generator);
    optimizers.generator.minimize = (f, returnCost, varList) => {
      gAtGUpdate = snapshot(G);
      dAtGUpdate = snapshot(D);
      return minimize(f, returnCost, varList);
    };
    const inputs = batch(7);
    await ndaGanStep(tf, models, optimizers, inputs);
    tf.dispose(Object.values(inputs));
    assert.ok(gAtGUpdate && dAtGUpdate);
    assert.ok(changed(d0, dAtGUpdate), "D's weights changed in its update");
    assert.ok(!changed(g0, gAtGUpdate), "G's weights did not change during D's update");
    const g1 = snapshot(G);
    const d1 = snapshot(D);
    assert.ok(changed(g0, g1), "G's weights changed in its update");
    assert.ok(!changed(dAtGUpdate, d1), "D's weights did not change during G's update");
  });

  it('rejects bad weights and mismatched shapes', async () => {
    const { tf, models, optimizers, batch } = await setup();
    const inputs = batch(3);
    await assert.rejects(
      ndaGanStep(tf, models, optimizers, { ...inputs, alpha: -1 }),
      /Cannot run an NDA-GAN step as alpha must be finite and >= 0/,
    );
    const small = tf.zeros<TFJS.Rank.R4>([2, 8, 8, 3]);
    await assert.rejects(ndaGanStep(tf, models, optimizers, { ...inputs, negative: small }), RangeError);
    tf.dispose([...Object.values(inputs), small]);
  });
});

/**
 * A pair whose logits are known by hand: G maps a 1-d latent z to a 4x4x1 image filled with z, and D is
 * 2 * (mean pixel) (global average pooling, then dense kernel 2, bias 0). So an image filled with p has
 * logit 2p, and a fake made from z has logit 2z.
 */
function linearPair(tf: typeof TFJS) {
  const zIn = tf.input({ shape: [1] });
  const dense = tf.layers.dense({ units: 16, kernelInitializer: 'ones', useBias: false });
  const generator = tf.model({
    inputs: zIn,
    outputs: tf.layers.reshape({ targetShape: [4, 4, 1] }).apply(dense.apply(zIn)) as TFJS.SymbolicTensor,
  });
  const xIn = tf.input({ shape: [4, 4, 1] });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(xIn) as TFJS.SymbolicTensor;
  const head = tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.constant({ value: 2 }) });
  const discriminator = tf.model({ inputs: xIn, outputs: head.apply(pooled) as TFJS.SymbolicTensor });
  const filled = (values: number[]) =>
    tf.tidy(() =>
      tf.mul<TFJS.Tensor4D>(tf.ones([values.length, 4, 4, 1]), tf.reshape(tf.tensor1d(values), [-1, 1, 1, 1])),
    );
  return { models: { generator, discriminator }, filled, head };
}

// Pixels chosen so that the logits (2p) fall on both sides of every hinge:
//   real     p [0.25, -1, 1]     l [0.5, -2, 2]    relu(1 - l) [0.5, 3, 0]   mean 7/6
//   fake     z [0.25, -1, -0.25] l [0.5, -2, -0.5] relu(1 + l) [1.5, 0, 0.5] mean 2/3
//   negative p [-0.75, 0.5, 0]   l [-1.5, 1, 0]    relu(1 + l) [0, 2, 1]     mean 1
const REAL_P = [0.25, -1, 1];
const FAKE_Z = [0.25, -1, -0.25];
const NEG_P = [-0.75, 0.5, 0];

/** d loss / d (kernel, bias) of D = w * mean + b at w = 2, b = 0, by hand from the hinge's active sides. */
function handGradient(alpha: number, beta: number): { w: number; b: number } {
  let w = 0;
  let b = 0;
  const add = (active: boolean, weight: number, p: number) => {
    if (!active) return;
    w += weight * p;
    b += weight;
  };
  for (const p of REAL_P) add(1 - 2 * p > 0, -1 / 3, p);
  for (const p of FAKE_Z) add(1 + 2 * p > 0, alpha / 3, p);
  for (const p of NEG_P) add(1 + 2 * p > 0, beta / 3, p);
  return { w, b };
}

describe('discriminatorStep / generatorStep as numbers', () => {
  it('returns the hinge NDA loss and its terms of a fixed batch, computed by hand, for several alpha/beta', async () => {
    await selectBackend({ backend: 'wasm', threads: 2 });
    const tf = await import('@tensorflow/tfjs');
    for (const [alpha, beta] of [
      [0.25, 0.75],
      [1, 0],
      [0.5, 2],
    ] as const) {
      const { models, filled } = linearPair(tf);
      const optimizers = { generator: tf.train.sgd(0), discriminator: tf.train.sgd(0) };
      const real = filled(REAL_P);
      const negative = filled(NEG_P);
      const z = tf.tensor2d(FAKE_Z, [3, 1]);
      const d = await discriminatorStep(tf, models, optimizers, { real, negative, z, alpha, beta });
      assert.ok(Math.abs(d.real - 7 / 6) < 1e-5, `real term ${d.real}`);
      assert.ok(Math.abs(d.fake - 2 / 3) < 1e-5, `fake term ${d.fake}`);
      assert.ok(Math.abs(d.negative - 1) < 1e-5, `negative term ${d.negative}`);
      const expected = 7 / 6 + alpha * (2 / 3) + beta * 1;
      assert.ok(Math.abs(d.loss - expected) < 1e-5, `alpha ${alpha} beta ${beta}: loss ${d.loss}, by hand ${expected}`);
      tf.dispose([real, negative, z]);
      models.generator.dispose();
      models.discriminator.dispose();
    }
  });

  it("moves D's weights by the hand-computed gradient of the weighted loss (SGD, rate 1)", async () => {
    await selectBackend({ backend: 'wasm', threads: 2 });
    const tf = await import('@tensorflow/tfjs');
    for (const [alpha, beta] of [
      [0.25, 0.75],
      [1, 0],
    ] as const) {
      const { models, filled, head } = linearPair(tf);
      const optimizers = { generator: tf.train.sgd(0), discriminator: tf.train.sgd(1) };
      const real = filled(REAL_P);
      const negative = filled(NEG_P);
      const z = tf.tensor2d(FAKE_Z, [3, 1]);
      await discriminatorStep(tf, models, optimizers, { real, negative, z, alpha, beta });
      const [kernel, bias] = head.getWeights().map((w) => w.dataSync()[0]!);
      const g = handGradient(alpha, beta);
      assert.ok(
        Math.abs(kernel! - (2 - g.w)) < 1e-5,
        `alpha ${alpha} beta ${beta}: kernel ${kernel}, by hand ${2 - g.w}`,
      );
      assert.ok(Math.abs(bias! - (0 - g.b)) < 1e-5, `alpha ${alpha} beta ${beta}: bias ${bias}, by hand ${-g.b}`);
      tf.dispose([real, negative, z]);
      models.generator.dispose();
      models.discriminator.dispose();
    }
  });

  it('returns -mean(D(G(zG))) for the generator, and ndaGanStep reports the same terms', async () => {
    await selectBackend({ backend: 'wasm', threads: 2 });
    const tf = await import('@tensorflow/tfjs');
    const { models, filled } = linearPair(tf);
    const optimizers = { generator: tf.train.sgd(0), discriminator: tf.train.sgd(0) };
    const zG = tf.tensor2d([0.5, -0.25], [2, 1]);
    // logits 2 z = [1, -0.5]: loss -0.25
    const g = await generatorStep(tf, models, optimizers, zG);
    assert.ok(Math.abs(g - -0.25) < 1e-6, String(g));
    const real = filled(REAL_P);
    const negative = filled(NEG_P);
    const z = tf.tensor2d(FAKE_Z, [3, 1]);
    const before = tf.memory().numTensors;
    const losses = await ndaGanStep(tf, models, optimizers, { real, negative, z, zG });
    assert.equal(tf.memory().numTensors, before, 'every intermediate released');
    assert.ok(Math.abs(losses.dLoss - (7 / 6 + 0.25 * (2 / 3) + 0.75)) < 1e-5, JSON.stringify(losses));
    assert.ok(Math.abs(losses.dTerms.negative - 1) < 1e-5, JSON.stringify(losses));
    assert.ok(Math.abs(losses.gLoss - -0.25) < 1e-6, JSON.stringify(losses));
    tf.dispose([zG, real, negative, z]);
    models.generator.dispose();
    models.discriminator.dispose();
  });
});
