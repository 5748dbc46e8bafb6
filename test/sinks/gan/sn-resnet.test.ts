import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { fileIoHandler } from '../../../sinks/checkpoint/file-io-handler.js';
import { conditionalClasses } from '../../../sinks/gan/conditional-classes.js';
import { countTrainableParams, createDcgan } from '../../../sinks/gan/dcgan.js';
import { ganLayers } from '../../../sinks/gan/gan-layers.js';
import { ndaGanStep } from '../../../sinks/gan/hinge-nda-step.js';
import { createSnResnetGan } from '../../../sinks/gan/sn-resnet.js';
import { Random } from '../../../sources/random.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

/** Largest singular value of a row-major [rows, cols] matrix, by a long power iteration on W^T W (plain JS). */
function topSingularValue(w: ArrayLike<number>, rows: number, cols: number): number {
  let v: number[] = Array.from({ length: cols }, (_, i) => 1 + ((i * 7919) % 13) / 13);
  let sigma = 0;
  for (let it = 0; it < 2000; it++) {
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

function snResnetParams(o: { z: number; ch: number; size: number; channels: number; classes?: number }): {
  g: number;
  d: number;
} {
  const { z, ch, size, channels, classes } = o;
  const b2 = (size / 8) ** 2;
  const norm = classes === undefined ? 2 * ch : 2 * classes * ch;
  const conv = (k: number, cin: number, cout: number) => k * k * cin * cout + cout;
  const g =
    z * b2 * ch + b2 * ch + 3 * (2 * norm + 2 * conv(3, ch, ch) + conv(1, ch, ch)) + 2 * ch + conv(3, ch, channels);
  const d =
    conv(3, channels, ch) +
    conv(3, ch, ch) +
    conv(1, channels, ch) +
    (2 * conv(3, ch, ch) + conv(1, ch, ch)) +
    2 * 2 * conv(3, ch, ch) +
    (ch + 1) +
    (classes === undefined ? 0 : classes * ch);
  return { g, d };
}

function labels(tf: typeof TFJS, values: number[]): TFJS.Tensor2D {
  return tf.tensor2d(values, [values.length, 1], 'int32');
}

describe('ganLayers spectral normalisation', () => {
  it('divides a dense kernel by its largest singular value (power iteration converges, u updated only in training)', async () => {
    const tf = await getTf();
    const L = ganLayers(tf);
    const before = tf.memory().numTensors;
    const input = tf.input({ shape: [6] });
    const layer = L.snDense({ units: 4, useBias: false, seed: 3 });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as TFJS.SymbolicTensor });
    const kernel = await model.getWeights()[0]!.data();
    const trueSigma = topSingularValue(kernel, 6, 4);
    const u0 = await layer.getWeights()[1]!.data();
    const eye = tf.eye(6);
    tf.dispose(model.apply(eye) as TFJS.Tensor);
    assert.deepEqual(await layer.getWeights()[1]!.data(), u0, 'inference leaves u as it was');
    for (let i = 0; i < 40; i++) tf.dispose(model.apply(eye, { training: true }) as TFJS.Tensor);
    assert.notDeepEqual(await layer.getWeights()[1]!.data(), u0, 'training updates u');
    const effective = model.apply(eye) as TFJS.Tensor; // = W / sigma
    const values = await effective.data();
    assert.ok(
      Math.abs(topSingularValue(values, 6, 4) - 1) < 1e-3,
      `top singular value ${topSingularValue(values, 6, 4)}`,
    );
    assert.ok(Math.abs(kernel[0]! / values[0]! - trueSigma) < 1e-3 * trueSigma, 'sigma is the true one');
    tf.dispose([effective, eye]);
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('normalises a conv kernel seen as a [k*k*cin, filters] matrix', async () => {
    const tf = await getTf();
    const L = ganLayers(tf);
    const [k, cin, f] = [3, 2, 5];
    const input = tf.input({ shape: [k, k, cin] });
    const layer = L.snConv2d({ filters: f, kernelSize: k, padding: 'valid', useBias: false, seed: 4 });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as TFJS.SymbolicTensor });
    const kernel = await model.getWeights()[0]!.data();
    const trueSigma = topSingularValue(kernel, k * k * cin, f);
    // One-hot patches: the output of patch i is row i of W / sigma.
    const patches = tf.reshape(tf.eye(k * k * cin), [k * k * cin, k, k, cin]);
    for (let i = 0; i < 40; i++) tf.dispose(model.apply(patches, { training: true }) as TFJS.Tensor);
    const out = model.apply(patches) as TFJS.Tensor;
    assert.deepEqual(out.shape, [k * k * cin, 1, 1, f]);
    const values = await out.data();
    assert.ok(Math.abs(topSingularValue(values, k * k * cin, f) - 1) < 1e-3);
    assert.ok(Math.abs(kernel[1]! / values[1]! - trueSigma) < 1e-3 * trueSigma);
    tf.dispose([patches, out]);
    model.dispose();
  });
});

describe('createSnResnetGan', () => {
  it('builds networks of the expected shapes and parameter counts, unconditional and conditional', async () => {
    const tf = await getTf();
    const before = tf.memory().numTensors;
    for (const classes of [undefined, 3]) {
      const o = { z: 8, ch: 4, size: 16, channels: 1, ...(classes === undefined ? {} : { classes }) };
      const { generator, discriminator } = createSnResnetGan(tf, { ...o, seed: 1 });
      const expected = snResnetParams(o);
      assert.equal(countTrainableParams(generator), expected.g);
      assert.equal(countTrainableParams(discriminator), expected.d);
      assert.equal(generator.inputs.length, classes === undefined ? 1 : 2);
      assert.equal(conditionalClasses(generator), classes ?? null);
      assert.equal(conditionalClasses(discriminator), classes ?? null);
      const z = tf.randomNormal([2, 8], 0, 1, 'float32', 1);
      const y = labels(tf, [0, 2]);
      const images = generator.apply(classes === undefined ? z : [z, y], { training: true }) as TFJS.Tensor;
      assert.deepEqual(images.shape, [2, 16, 16, 1]);
      assert.ok((await images.data()).every((v) => v >= -1 && v <= 1));
      const logits = discriminator.apply(classes === undefined ? images : [images, y]) as TFJS.Tensor;
      assert.deepEqual(logits.shape, [2, 1]);
      tf.dispose([z, y, images, logits]);
      generator.dispose();
      discriminator.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('validates its options', async () => {
    const tf = await getTf();
    assert.throws(
      () => createSnResnetGan(tf, { size: 28 }),
      /Cannot create an SN-ResNet GAN as size must be a multiple of 8 \(pad 28 px images to 32\): current value is 28/,
    );
    assert.throws(() => createSnResnetGan(tf, { classes: 0 }), RangeError);
    assert.throws(() => createSnResnetGan(tf, { ch: '4' as never }), TypeError);
  });

  it('conditions G on y and D on y (projection)', async () => {
    const tf = await getTf();
    const { generator, discriminator } = createSnResnetGan(tf, {
      z: 8,
      ch: 4,
      size: 8,
      channels: 1,
      classes: 3,
      seed: 2,
    });
    // Give the class tables distinct values (they start at gain 1, bias 0 for every class).
    const perturbed = generator
      .getWeights()
      .map((w, i) =>
        w.shape.length === 2 && w.shape[0] === 3 ? tf.randomNormal(w.shape, 1, 0.5, 'float32', i) : w.clone(),
      );
    generator.setWeights(perturbed);
    tf.dispose(perturbed);
    const z = tf.randomNormal([2, 8], 0, 1, 'float32', 5);
    const [a, b] = [
      generator.predict([z, labels(tf, [0, 0])]) as TFJS.Tensor,
      generator.predict([z, labels(tf, [1, 2])]) as TFJS.Tensor,
    ];
    assert.ok(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! > 1e-4, 'G output changes with y');
    const [da, db] = [
      discriminator.predict([a, labels(tf, [0, 0])]) as TFJS.Tensor,
      discriminator.predict([a, labels(tf, [1, 2])]) as TFJS.Tensor,
    ];
    assert.ok(tf.max(tf.abs(tf.sub(da, db))).dataSync()[0]! > 1e-6, 'D logit changes with y');
    generator.dispose();
    discriminator.dispose();
  });

  it('builds identical weights with the same seed', async () => {
    const tf = await getTf();
    const weights = async (seed: number) => {
      const { generator, discriminator } = createSnResnetGan(tf, {
        z: 4,
        ch: 4,
        size: 8,
        channels: 1,
        classes: 2,
        seed,
      });
      const values = await Promise.all([...generator.getWeights(), ...discriminator.getWeights()].map((w) => w.data()));
      generator.dispose();
      discriminator.dispose();
      return values.map((v) => Array.from(v));
    };
    assert.deepEqual(await weights(9), await weights(9));
    assert.notDeepEqual(await weights(9), await weights(10));
  });
});

describe('save / load round trip', () => {
  for (const [name, build] of [
    ['an SN-ResNet', (tf: typeof TFJS) => createSnResnetGan(tf, { z: 8, ch: 4, size: 8, channels: 1, seed: 3 })],
    [
      'a conditional SN-ResNet',
      (tf: typeof TFJS) => createSnResnetGan(tf, { z: 8, ch: 4, size: 8, channels: 1, classes: 3, seed: 3 }),
    ],
    [
      'a conditional DCGAN',
      (tf: typeof TFJS) => createDcgan(tf, { z: 8, ch: 4, size: 8, channels: 1, classes: 3, seed: 3 }),
    ],
  ] as const) {
    it(`restores ${name} with identical outputs, u included`, async () => {
      const tf = await getTf();
      const { generator, discriminator } = build(tf);
      const conditional = generator.inputs.length === 2;
      const z = tf.randomNormal([3, 8], 0, 1, 'float32', 5);
      const y = labels(tf, [0, 1, 2]);
      // Some training-mode calls move u and the moving statistics away from their initial values.
      for (let i = 0; i < 3; i++) {
        const x = generator.apply(conditional ? [z, y] : z, { training: true }) as TFJS.Tensor;
        tf.dispose([x, discriminator.apply(conditional ? [x, y] : x, { training: true }) as TFJS.Tensor]);
      }
      const dir = tempDir();
      await generator.save(fileIoHandler(tf, join(dir, 'g')));
      await discriminator.save(fileIoHandler(tf, join(dir, 'd')));
      const g2 = await tf.loadLayersModel(fileIoHandler(tf, join(dir, 'g')));
      const d2 = await tf.loadLayersModel(fileIoHandler(tf, join(dir, 'd')));
      assert.equal(g2.weights.length, generator.weights.length);
      assert.equal(d2.weights.length, discriminator.weights.length);
      for (const [a, b] of [
        [generator, g2],
        [discriminator, d2],
      ] as const) {
        const wa = a.getWeights();
        const wb = b.getWeights();
        for (let i = 0; i < wa.length; i++) assert.deepEqual(await wb[i]!.data(), await wa[i]!.data());
      }
      const out = (g: TFJS.LayersModel) => g.predict(conditional ? [z, y] : z) as TFJS.Tensor;
      const [x1, x2] = [out(generator), out(g2)];
      assert.deepEqual(await x2.data(), await x1.data());
      const [l1, l2] = [
        discriminator.predict(conditional ? [x1, y] : x1) as TFJS.Tensor,
        d2.predict(conditional ? [x1, y] : x1) as TFJS.Tensor,
      ];
      assert.deepEqual(await l2.data(), await l1.data());
      tf.dispose([z, y, x1, x2, l1, l2]);
      for (const m of [generator, discriminator, g2, d2]) m.dispose();
    });
  }
});

describe('training conditional and unconditional pairs', () => {
  for (const architecture of ['dcgan', 'sn-resnet'] as const) {
    for (const classes of [undefined, 3]) {
      it(`${architecture} ${classes === undefined ? 'unconditional' : 'conditional'}: steps stay finite, the tensor count flat, and a seed repeats`, async () => {
        const tf = await getTf();
        const run = async () => {
          const o = { z: 8, ch: 4, size: 8, channels: 1, seed: 11, ...(classes === undefined ? {} : { classes }) };
          const models = architecture === 'dcgan' ? createDcgan(tf, o) : createSnResnetGan(tf, o);
          const optimizers = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };
          const rng = Random.derive(1, 'images');
          const counts: number[] = [];
          const losses: number[] = [];
          for (let step = 0; step < 4; step++) {
            const t = tf.tidy(() => {
              const real = tf.randomUniform<TFJS.Rank.R4>([4, 8, 8, 1], -1, 1, 'float32', rng.int(0, 1e6));
              const negative = tf.reverse<TFJS.Tensor4D>(real, 2);
              const z = tf.randomNormal<TFJS.Rank.R2>([4, 8], 0, 1, 'float32', rng.int(0, 1e6));
              const zG = tf.randomNormal<TFJS.Rank.R2>([4, 8], 0, 1, 'float32', rng.int(0, 1e6));
              return {
                real,
                negative,
                z,
                zG,
                labels: labels(tf, [0, 1, 2, 0]),
                fakeLabels: labels(tf, [2, 2, 1, 0]),
                labelsG: labels(tf, [1, 0, 2, 1]),
              };
            });
            const { labels: l, fakeLabels, labelsG, ...rest } = t;
            const r = await ndaGanStep(
              tf,
              models,
              optimizers,
              classes === undefined ? rest : { ...rest, labels: l, fakeLabels, labelsG },
            );
            tf.dispose(Object.values(t));
            losses.push(r.dLoss, r.gLoss);
            counts.push(tf.memory().numTensors);
          }
          assert.ok(losses.every(Number.isFinite), `finite losses ${losses.join(', ')}`);
          assert.ok(
            counts.every((c) => c === counts[1]),
            `flat tensor count ${counts.join(', ')}`,
          );
          const w = Array.from(await models.generator.getWeights()[0]!.data());
          models.generator.dispose();
          models.discriminator.dispose();
          optimizers.generator.dispose();
          optimizers.discriminator.dispose();
          return { losses, w };
        };
        const a = await run();
        const b = await run();
        assert.deepEqual(b.losses, a.losses);
        assert.deepEqual(b.w, a.w);
      });
    }
  }

  it('refuses labels for an unconditional pair and requires them for a conditional one', async () => {
    const tf = await getTf();
    const cond = createSnResnetGan(tf, { z: 4, ch: 4, size: 8, channels: 1, classes: 2 });
    const opt = { generator: tf.train.adam(), discriminator: tf.train.adam() };
    const real = tf.zeros<TFJS.Rank.R4>([2, 8, 8, 1]);
    const z = tf.zeros<TFJS.Rank.R2>([2, 4]);
    await assert.rejects(
      ndaGanStep(tf, cond, opt, { real, negative: real, z, zG: z }),
      /Cannot run an NDA-GAN step as a conditional pair needs class labels/,
    );
    const y = labels(tf, [0, 1]);
    await assert.rejects(
      ndaGanStep(tf, cond, opt, { real, negative: real, z, zG: z, labels: y, fakeLabels: labels(tf, [0]), labelsG: y }),
      /fakeLabels must be \[2, 1\]/,
    );
    const plain = createSnResnetGan(tf, { z: 4, ch: 4, size: 8, channels: 1 });
    await assert.rejects(
      ndaGanStep(tf, plain, opt, { real, negative: real, z, zG: z, labels: y, fakeLabels: y, labelsG: y }),
      /an unconditional pair takes no class labels/,
    );
    for (const m of [cond.generator, cond.discriminator, plain.generator, plain.discriminator]) m.dispose();
  });
});
