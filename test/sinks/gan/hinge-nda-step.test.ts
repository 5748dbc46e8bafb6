import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { createDcgan } from '../../../sinks/gan/dcgan.js';
import { ndaGanStep } from '../../../sinks/gan/hinge-nda-step.js';

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
