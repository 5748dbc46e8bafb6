import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { fileIoHandler } from '../../../sinks/checkpoint/file-io-handler.js';
import { createBigGan } from '../../../sinks/gan/biggan.js';
import { conditionalClasses } from '../../../sinks/gan/conditional-classes.js';
import { countTrainableParams } from '../../../sinks/gan/dcgan.js';
import { ndaGanStep } from '../../../sinks/gan/hinge-nda-step.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

/**
 * The official network's `sum(p.numel() for p in G.parameters())` / `D.parameters()` for BigGAN_new.py at
 * resolution 32, G_ch = D_ch = 64 (C = 4 * 64 = 256 channels everywhere: `G_arch(64)[32]` in/out
 * channels [256]*3, `D_arch(64)[32]` in [3, 256, 256, 256], out [256]*4), dim_z 128, bottom_width 4,
 * G_shared off (train_C10.sh does not pass --G_shared), no attention, K classes (C10U: 1; C10: 10;
 * C100: 100). SN's u and sv are buffers, not parameters; so are BN's stored mean/var.
 *
 * G:
 *   linear  SNLinear(128, 256*4*4) + bias            128*4096 + 4096            =   528,384
 *   3 x GBlock(256, 256), upsample (learnable_sc):
 *     conv1, conv2  SNConv2d(256, 256, 3) + bias     2 * (9*256*256 + 256)      = 1,180,160
 *     conv_sc       SNConv2d(256, 256, 1) + bias     256*256 + 256              =    65,792
 *     bn1, bn2      ccbn: gain, bias nn.Embedding(K, 256) each                   =   1,024 K
 *                                                    3 blocks: 3 * 1,245,952    = 3,737,856 + 3,072 K
 *   output  bn(256): gain + bias                     2*256                      =       512
 *           SNConv2d(256, 3, 3) + bias               9*256*3 + 3                =     6,915
 *   total                                                                       = 4,273,667 + 3,072 K
 * D:
 *   block0  DBlock(3, 256, down): conv1 9*3*256+256, conv2 9*256*256+256, conv_sc 3*256+256
 *                                                    7,168 + 590,080 + 1,024    =   598,272
 *   block1  DBlock(256, 256, down): conv1, conv2, conv_sc 590,080*2 + 65,792    = 1,245,952
 *   block2, block3  DBlock(256, 256): conv1, conv2   2 * 1,180,160              = 2,360,320
 *   linear  SNLinear(256, 1) + bias                                             =       257
 *   embed   SNEmbedding(K, 256)                                                 =     256 K
 *   total                                                                       = 4,204,801 + 256 K
 */
const officialParams = (K: number) => ({ g: 4_273_667 + 3_072 * K, d: 4_204_801 + 256 * K });

/** Largest singular value of a row-major [rows, cols] matrix, by a long power iteration on W^T W (plain JS). */
function topSingularValue(w: ArrayLike<number>, rows: number, cols: number): number {
  let v: number[] = Array.from({ length: cols }, (_, i) => 1 + ((i * 7919) % 13) / 13);
  let sigma = 0;
  for (let it = 0; it < 500; it++) {
    const u = new Array<number>(rows).fill(0);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) u[r]! += w[r * cols + c]! * v[c]!;
    const next = new Array<number>(cols).fill(0);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) next[c]! += w[r * cols + c]! * u[r]!;
    const norm = Math.hypot(...next);
    sigma = Math.sqrt(norm);
    v = next.map((x) => x / norm);
  }
  return sigma;
}

/** The layer's own sigma estimate in inference mode, from its weight W [rows, cols] and persistent u [cols]. */
function layerSigma(w: ArrayLike<number>, rows: number, cols: number, u: ArrayLike<number>): number {
  const v = new Array<number>(rows).fill(0);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) v[r]! += w[r * cols + c]! * u[c]!;
  const norm = Math.hypot(...v);
  let sigma = 0;
  for (let c = 0; c < cols; c++) {
    let vw = 0;
    for (let r = 0; r < rows; r++) vw += (v[r]! / norm) * w[r * cols + c]!;
    sigma += vw * u[c]!;
  }
  return sigma;
}

const SN_CLASSES = ['NdaflowSnConv2d', 'NdaflowSnDense', 'NdaflowProjection'];

function snLayers(model: TFJS.LayersModel): TFJS.layers.Layer[] {
  return model.layers.filter((l) => SN_CLASSES.includes(l.getClassName()));
}

function labels(tf: typeof TFJS, values: number[]): TFJS.Tensor2D {
  return tf.tensor2d(values, [values.length, 1], 'int32');
}

describe('createBigGan', () => {
  it("has exactly the official network's parameter counts at ch 64 (unconditional, 10 and 100 classes)", async () => {
    const tf = await getTf();
    for (const classes of [undefined, 10, 100]) {
      const { generator, discriminator } = createBigGan(tf, { ch: 64, seed: 1, ...(classes ? { classes } : {}) });
      const want = officialParams(classes ?? 1);
      assert.equal(countTrainableParams(generator), want.g, `G with ${classes ?? 'no'} classes`);
      assert.equal(countTrainableParams(discriminator), want.d, `D with ${classes ?? 'no'} classes`);
      assert.equal(conditionalClasses(generator), classes ?? null);
      if (classes === undefined) {
        // N(0, 0.02) weights, PyTorch-default biases, ccbn gains 1 + N(0, 0.02): on a 256x256x3x3 kernel
        const byName = (m: TFJS.LayersModel, cls: string) => m.layers.filter((l) => l.getClassName() === cls);
        const conv = byName(discriminator, 'NdaflowSnConv2d')[1]!;
        const [kernel, bias] = conv.getWeights();
        const k = Array.from(await kernel!.data());
        const mean = k.reduce((a, b) => a + b, 0) / k.length;
        const std = Math.sqrt(k.reduce((a, b) => a + (b - mean) ** 2, 0) / k.length);
        assert.ok(Math.abs(mean) < 1e-3 && Math.abs(std - 0.02) < 5e-4, `kernel mean ${mean} std ${std}`);
        const b = Array.from(await bias!.data());
        const bound = 1 / Math.sqrt(9 * 256);
        assert.ok(b.every((x) => Math.abs(x) <= bound) && b.some((x) => Math.abs(x) > bound / 2), 'bias uniform');
        const gain = Array.from(await byName(generator, 'NdaflowConditionalBatchNorm')[0]!.getWeights()[0]!.data());
        const gMean = gain.reduce((a, x) => a + x, 0) / gain.length;
        assert.ok(Math.abs(gMean - 1) < 0.01 && gain.some((x) => x !== 1), `ccbn gain mean ${gMean}`);
      }
      generator.dispose();
      discriminator.dispose();
    }
  });

  it('builds the expected shapes and spectral-norm layers on every conv and linear', async () => {
    const tf = await getTf();
    const { generator, discriminator } = createBigGan(tf, { z: 8, ch: 2, size: 16, channels: 1, classes: 3, seed: 2 });
    assert.deepEqual(generator.outputs[0]!.shape, [null, 16, 16, 1]);
    assert.deepEqual(discriminator.outputs[0]!.shape, [null, 1]);
    // G: linear, 3 blocks x (conv1, conv2, conv_sc), output conv; D: 3 + 3 + 2 + 2 convs, linear, embedding
    assert.equal(snLayers(generator).length, 11);
    assert.equal(snLayers(discriminator).length, 12);
    assert.equal(
      generator.layers.filter((l) => l.getClassName() === 'NdaflowConditionalBatchNorm').length,
      6,
      'two ccbn per block',
    );
    const z = tf.randomNormal([2, 8], 0, 1, 'float32', 1);
    const y = labels(tf, [0, 2]);
    const x = generator.predict([z, y]) as TFJS.Tensor;
    assert.deepEqual(x.shape, [2, 16, 16, 1]);
    const l = discriminator.predict([x, y]) as TFJS.Tensor;
    assert.deepEqual(l.shape, [2, 1]);
    tf.dispose([z, y, x, l]);
    generator.dispose();
    discriminator.dispose();
  });

  it('conditions G and D on the class (and the unconditional pair takes no labels)', async () => {
    const tf = await getTf();
    const cond = createBigGan(tf, { z: 8, ch: 2, size: 8, channels: 1, classes: 3, seed: 3 });
    const z = tf.randomNormal([2, 8], 0, 1, 'float32', 2);
    // the ccbn tables start at 1 + N(0, 0.02) and N(0, 0.02), so the classes differ from the start
    const a = cond.generator.predict([z, labels(tf, [0, 0])]) as TFJS.Tensor;
    const b = cond.generator.predict([z, labels(tf, [1, 1])]) as TFJS.Tensor;
    assert.ok(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! > 1e-4, 'G(z, 0) != G(z, 1)');
    const da = cond.discriminator.predict([a, labels(tf, [0, 0])]) as TFJS.Tensor;
    const db = cond.discriminator.predict([a, labels(tf, [2, 2])]) as TFJS.Tensor;
    assert.notDeepEqual(Array.from(da.dataSync()), Array.from(db.dataSync()), 'projection depends on y');
    const uncond = createBigGan(tf, { z: 8, ch: 2, size: 8, channels: 1, seed: 3 });
    assert.equal(uncond.generator.inputs.length, 1);
    assert.equal(uncond.discriminator.inputs.length, 1);
    assert.equal(conditionalClasses(uncond.generator), null);
    tf.dispose([z, a, b, da, db]);
    for (const m of [cond.generator, cond.discriminator, uncond.generator, uncond.discriminator]) m.dispose();
  });

  it('builds identical weights with the same seed, different with another', async () => {
    const tf = await getTf();
    const weights = async (seed: number) => {
      const { generator, discriminator } = createBigGan(tf, { z: 4, ch: 1, size: 8, channels: 1, seed });
      const all = await Promise.all([...generator.getWeights(), ...discriminator.getWeights()].map((w) => w.data()));
      generator.dispose();
      discriminator.dispose();
      return all.map((w) => Array.from(w));
    };
    const [a, b, c] = [await weights(5), await weights(5), await weights(6)];
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('validates its options', async () => {
    const tf = await getTf();
    assert.throws(() => createBigGan(tf, { size: 20 }), /Cannot create a BigGAN as size must be a multiple of 8/);
    assert.throws(() => createBigGan(tf, { ch: 0 }), /Cannot create a BigGAN as ch must be in \[1, /);
    assert.throws(
      () => createBigGan(tf, { snEpsilon: 0 }),
      /snEpsilon must be a number in \(0, 1\): current value is 0/,
    );
    assert.throws(() => createBigGan(tf, { classes: 0 }), /classes must be in \[1, /);
  });

  it('keeps every spectral norm near 1 after power iterations, each u persistent and updated', async () => {
    const tf = await getTf();
    const { generator, discriminator } = createBigGan(tf, { z: 8, ch: 2, size: 8, channels: 1, classes: 2, seed: 4 });
    const layers = [...snLayers(generator), ...snLayers(discriminator)];
    const uOf = (l: TFJS.layers.Layer) => Array.from(l.getWeights().at(-1)!.dataSync());
    const u0 = layers.map(uOf);
    const z = tf.randomNormal([2, 8], 0, 1, 'float32', 3);
    const y = labels(tf, [0, 1]);
    for (let i = 0; i < 60; i++) {
      tf.tidy(() => {
        const x = generator.apply([z, y], { training: true }) as TFJS.Tensor;
        discriminator.apply([x, y], { training: true });
      });
    }
    for (const [i, layer] of layers.entries()) {
      const weights = layer.getWeights();
      const w = weights[0]!;
      const cols = w.shape.at(-1)!;
      const rows = w.size / cols;
      const values = w.dataSync();
      const u = weights.at(-1)!.dataSync();
      assert.notDeepEqual(Array.from(u), u0[i], `${layer.name}: u was updated`);
      const ratio = topSingularValue(values, rows, cols) / layerSigma(values, rows, cols, u);
      assert.ok(Math.abs(ratio - 1) < 0.02, `${layer.name} (${rows}x${cols}): top singular value of W/sigma ${ratio}`);
    }
    tf.dispose([z, y]);
    generator.dispose();
    discriminator.dispose();
  });

  for (const classes of [undefined, 3]) {
    it(`${classes === undefined ? 'unconditional' : 'conditional'}: saves and loads with identical outputs, u and moving statistics included`, async () => {
      const tf = await getTf();
      const { generator, discriminator } = createBigGan(tf, {
        z: 8,
        ch: 2,
        size: 8,
        channels: 3,
        seed: 7,
        ...(classes === undefined ? {} : { classes }),
      });
      const z = tf.randomNormal([3, 8], 0, 1, 'float32', 5);
      const y = labels(tf, [0, 1, 2]);
      const gIn = classes === undefined ? z : [z, y];
      for (let i = 0; i < 3; i++) {
        tf.tidy(() => {
          const x = generator.apply(gIn, { training: true }) as TFJS.Tensor;
          discriminator.apply(classes === undefined ? x : [x, y], { training: true });
        });
      }
      const dir = tempDir();
      await generator.save(fileIoHandler(tf, join(dir, 'g')));
      await discriminator.save(fileIoHandler(tf, join(dir, 'd')));
      const g2 = await tf.loadLayersModel(fileIoHandler(tf, join(dir, 'g')));
      const d2 = await tf.loadLayersModel(fileIoHandler(tf, join(dir, 'd')));
      assert.equal(g2.weights.length, generator.weights.length);
      assert.equal(d2.weights.length, discriminator.weights.length);
      const x1 = generator.predict(gIn) as TFJS.Tensor;
      const x2 = g2.predict(gIn) as TFJS.Tensor;
      assert.deepEqual(await x2.data(), await x1.data());
      const l1 = discriminator.predict(classes === undefined ? x1 : [x1, y]) as TFJS.Tensor;
      const l2 = d2.predict(classes === undefined ? x1 : [x1, y]) as TFJS.Tensor;
      assert.deepEqual(await l2.data(), await l1.data());
      tf.dispose([z, y, x1, x2, l1, l2]);
      for (const m of [generator, discriminator, g2, d2]) m.dispose();
    });

    it(`${classes === undefined ? 'unconditional' : 'conditional'}: NDA-GAN steps stay finite with the tensor count flat`, async () => {
      const tf = await getTf();
      const models = createBigGan(tf, {
        z: 8,
        ch: 2,
        size: 8,
        channels: 3,
        seed: 8,
        ...(classes === undefined ? {} : { classes }),
      });
      const optimizers = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };
      const counts: number[] = [];
      for (let step = 0; step < 3; step++) {
        const inputs = {
          real: tf.randomUniform<TFJS.Rank.R4>([2, 8, 8, 3], -1, 1, 'float32', step),
          negative: tf.randomUniform<TFJS.Rank.R4>([2, 8, 8, 3], -1, 1, 'float32', step + 10),
          z: tf.randomNormal<TFJS.Rank.R2>([2, 8], 0, 1, 'float32', step + 20),
          zG: tf.randomNormal<TFJS.Rank.R2>([2, 8], 0, 1, 'float32', step + 30),
          ...(classes === undefined
            ? {}
            : { labels: labels(tf, [0, 2]), fakeLabels: labels(tf, [1, 1]), labelsG: labels(tf, [2, 0]) }),
        };
        const losses = await ndaGanStep(tf, models, optimizers, inputs);
        assert.ok(Number.isFinite(losses.dLoss) && Number.isFinite(losses.gLoss), JSON.stringify(losses));
        tf.dispose(Object.values(inputs));
        counts.push(tf.memory().numTensors);
      }
      assert.equal(counts[2], counts[1], `tensor counts after steps: ${counts.join(', ')}`);
      optimizers.generator.dispose();
      optimizers.discriminator.dispose();
      models.generator.dispose();
      models.discriminator.dispose();
    });
  }
});
