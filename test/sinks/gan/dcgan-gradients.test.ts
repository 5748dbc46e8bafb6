import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { createDcgan } from '../../../sinks/gan/dcgan.js';
import { seededKernel } from '../../../sinks/gan/seeded-init.js';
import { discriminatorStep, generatorStep, type GanModels } from '../../../sinks/gan/hinge-nda-step.js';

const SHAPE = { z: 16, ch: 8, size: 16, channels: 3, seed: 5 } as const;
const N = 4;

async function loadTf(): Promise<typeof TFJS> {
  // wasm: the backend the unfused convs are for (its backward convolutions are the project's kernels)
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

/**
 * createDcgan's discriminator as it was built before its convs were unfused: `tf.layers.conv2d`, whose
 * fused convolution has a custom gradient that computes the input, filter and bias gradients together.
 * The reference the unfused D must match.
 */
function fusedDiscriminator(tf: typeof TFJS): TFJS.LayersModel {
  const { ch, size, channels, seed } = SHAPE;
  const d = tf.sequential();
  [ch, 2 * ch, 4 * ch].forEach((filters, i) => {
    d.add(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: [size, size, channels] } : {}),
        filters,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        useBias: true,
        ...seededKernel(tf, seed, 'dcgan', `discriminator/conv${i}`),
      }),
    );
    d.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  });
  d.add(tf.layers.flatten());
  d.add(tf.layers.dense({ units: 1, ...seededKernel(tf, seed, 'dcgan', 'discriminator/dense') }));
  return d;
}

/** Two pairs with the same G and the same D weights: `unfused` as createDcgan builds it, `fused` with the reference D. */
function pairs(tf: typeof TFJS): { unfused: GanModels; fused: GanModels } {
  const unfused = createDcgan(tf, SHAPE);
  const fused = { generator: createDcgan(tf, SHAPE).generator, discriminator: fusedDiscriminator(tf) };
  // Biases start at 0, where a missing or misplaced bias would go unseen: give both Ds the same non-zero ones.
  unfused.discriminator.weights.forEach((w, i) => {
    if (!w.name.endsWith('bias')) return;
    const value = tf.randomNormal(w.shape as number[], 0, 0.1, 'float32', 100 + i);
    w.write(value);
    fused.discriminator.weights[i]!.write(value);
    value.dispose();
  });
  return { unfused, fused };
}

function batch(tf: typeof TFJS, seed: number) {
  return {
    real: tf.randomUniform<TFJS.Rank.R4>([N, 16, 16, 3], -1, 1, 'float32', seed),
    negative: tf.randomUniform<TFJS.Rank.R4>([N, 16, 16, 3], -1, 1, 'float32', seed + 1),
    z: tf.randomNormal<TFJS.Rank.R2>([N, 16], 0, 1, 'float32', seed + 2),
    zG: tf.randomNormal<TFJS.Rank.R2>([N, 16], 0, 1, 'float32', seed + 3),
  };
}

const values = (model: TFJS.LayersModel) => model.trainableWeights.map((w) => Float32Array.from(w.read().dataSync()));

/**
 * Within float tolerance: relative to the largest magnitude of `expected`, plus a floor relative to
 * `floorScale`, the largest update of the whole network. The floor is for the updates that are zero
 * but for rounding: a bias just before batch norm has a zero gradient (the norm removes it), and what
 * is left is float noise of ~1e-8.
 */
function assertClose(actual: Float32Array, expected: Float32Array, floorScale: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const worst = actual.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i]!)), 0);
  const tolerance = 1e-4 * scale + 1e-6 * floorScale;
  assert.ok(worst <= tolerance, `${what}: differs by ${worst} at scale ${scale} (network ${floorScale})`);
}

/** The largest magnitude over all of a network's updates. */
const largest = (updates: Float32Array[]) =>
  updates.reduce((m, w) => w.reduce((n, v) => Math.max(n, Math.abs(v)), m), 0);

function dispose(...pairList: GanModels[]): void {
  for (const p of pairList) {
    p.generator.dispose();
    p.discriminator.dispose();
  }
}

describe("createDcgan's unfused discriminator convs", () => {
  it('start with the weights of tf.layers.conv2d seeded the same way', async () => {
    const tf = await loadTf();
    const { discriminator } = createDcgan(tf, SHAPE);
    const reference = fusedDiscriminator(tf);
    assert.deepEqual(
      discriminator.weights.map((w) => w.shape),
      reference.weights.map((w) => w.shape),
    );
    const a = values(discriminator);
    values(reference).forEach((w, i) => assert.deepEqual(a[i], w, `weight ${i}`));
    discriminator.dispose();
    reference.dispose();
  });

  it('give the losses and weight updates of the fused D over two NDA-GAN steps (SGD: update = gradient)', async () => {
    const tf = await loadTf();
    const { unfused, fused } = pairs(tf);
    const sgd = () => ({ generator: tf.train.sgd(1), discriminator: tf.train.sgd(1) });
    const optimizers = { unfused: sgd(), fused: sgd() };
    for (let step = 0; step < 2; step++) {
      const inputs = batch(tf, 10 * step);
      const result: Record<string, { d: number; g: number; dDelta: Float32Array[]; gDelta: Float32Array[] }> = {};
      for (const which of ['unfused', 'fused'] as const) {
        const models = which === 'unfused' ? unfused : fused;
        const d0 = values(models.discriminator);
        const d = await discriminatorStep(tf, models, optimizers[which], inputs);
        const g0 = values(models.generator);
        const g = await generatorStep(tf, models, optimizers[which], inputs.zG);
        const minus = (after: Float32Array[], before: Float32Array[]) =>
          after.map((w, i) => w.map((v, j) => v - before[i]![j]!));
        result[which] = {
          d: d.loss,
          g,
          dDelta: minus(values(models.discriminator), d0),
          gDelta: minus(values(models.generator), g0),
        };
      }
      const [u, f] = [result['unfused']!, result['fused']!];
      assert.ok(Math.abs(u.d - f.d) <= 1e-5 * Math.abs(f.d), `step ${step} dLoss ${u.d} vs ${f.d}`);
      assert.ok(Math.abs(u.g - f.g) <= 1e-5 * Math.abs(f.g) + 1e-6, `step ${step} gLoss ${u.g} vs ${f.g}`);
      f.dDelta.forEach((w, i) => assertClose(u.dDelta[i]!, w, largest(f.dDelta), `step ${step} D weight ${i} update`));
      f.gDelta.forEach((w, i) => assertClose(u.gDelta[i]!, w, largest(f.gDelta), `step ${step} G weight ${i} update`));
      tf.dispose(Object.values(inputs));
    }
    for (const o of Object.values(optimizers)) {
      o.generator.dispose();
      o.discriminator.dispose();
    }
    dispose(unfused, fused);
  });

  it("spare the generator update D's filter gradients and the discriminator update its input gradient", async () => {
    const tf = await loadTf();
    const { unfused, fused } = pairs(tf);
    const counts = async (models: GanModels) => {
      const optimizers = { generator: tf.train.sgd(0), discriminator: tf.train.sgd(0) };
      const inputs = batch(tf, 3);
      const kernels = async (run: () => Promise<unknown>) => {
        const info = await tf.profile(async () => {
          await run();
          return [];
        });
        const count = (name: string) => info.kernels.filter((k) => k.name === name).length;
        return { filterGrads: count(tf.Conv2DBackpropFilter), inputGrads: count(tf.Conv2DBackpropInput) };
      };
      const d = await kernels(() => discriminatorStep(tf, models, optimizers, inputs));
      const g = await kernels(() => generatorStep(tf, models, optimizers, inputs.zG));
      tf.dispose(Object.values(inputs));
      optimizers.generator.dispose();
      optimizers.discriminator.dispose();
      return { d, g };
    };
    // G has 3 transposed convs, each of them a Conv2DBackpropInput forward; D has 3 convs.
    const mine = await counts(unfused);
    // D update: G forward (3) + D's input gradients of conv1 and conv2 (the images need none); filter grads: D's 3.
    assert.deepEqual(mine.d, { filterGrads: 3, inputGrads: 5 });
    // G update: G's 3 filter gradients only.
    assert.equal(mine.g.filterGrads, 3);
    // The fused reference pays for D's 3 filter gradients in the G update and the images' gradient in D's.
    const reference = await counts(fused);
    assert.deepEqual(reference.d, { filterGrads: 3, inputGrads: 6 });
    assert.equal(reference.g.filterGrads, 6);
    dispose(unfused, fused);
  });
});
