import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { encoderFeatures } from '../../../sinks/eval/encoder-features.js';
import { trainLinearProbe, type LabelledFeatures } from '../../../sinks/eval/linear-probe.js';
import { pixelFeatures } from '../../../sinks/eval/pixel-features.js';
import { FASHION_MNIST_DEBIAN_ROOT } from '../../../sources/datasets/fashion-mnist.js';
import { readIdx } from '../../../sources/datasets/read-idx.js';
import { Random } from '../../../sources/random.js';

async function loadTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 1 });
  return await import('@tensorflow/tfjs');
}

/** n rows of `dims` features: class c's rows are noise plus 3 on feature c (separable), or random labels. */
function toy(n: number, dims: number, classes: number, seed: number, random = false): LabelledFeatures {
  const rng = Random.derive(seed, 'toy');
  const labels = Int32Array.from({ length: n }, () => rng.int(0, classes - 1));
  const features = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dims; j++) features[i * dims + j] = rng.float() * 2 - 1 + (!random && j === labels[i] ? 3 : 0);
  }
  return { features, labels };
}

describe('trainLinearProbe', () => {
  it('separates separable features (top-1 1.0) with a falling loss and a flat tensor count', async () => {
    const tf = await loadTf();
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    const r = await trainLinearProbe(tf, {
      train: toy(120, 6, 4, 1),
      test: toy(60, 6, 4, 2),
      dims: 6,
      classes: 4,
      epochs: 20,
      batchSize: 32,
      seed: 1,
      onEpoch: (p) => losses.push(p.loss),
    });
    assert.equal(r.top1, 1);
    assert.equal(r.trainTop1, 1);
    assert.deepEqual([r.epochs, r.steps, r.trainSamples, r.testSamples, r.dims, r.classes], [20, 80, 120, 60, 6, 4]);
    assert.equal(losses.length, 20);
    assert.ok(losses.at(-1)! < losses[0]! / 2, `loss ${losses[0]} -> ${losses.at(-1)}`);
    assert.equal(r.loss, losses.at(-1));
    assert.equal(r.weights.length, 24);
    assert.equal(r.bias.length, 4);
    // the weight of feature c for class c is the largest in its column
    for (let c = 0; c < 4; c++)
      for (let j = 0; j < 6; j++) if (j !== c) assert.ok(r.weights[c * 4 + c]! > r.weights[j * 4 + c]!);
    assert.equal(tf.memory().numTensors, before);
  });

  it('scores about chance on random labels (and fits the training set better than the test set)', async () => {
    const tf = await loadTf();
    const r = await trainLinearProbe(tf, {
      train: toy(200, 16, 4, 3, true),
      test: toy(800, 16, 4, 4, true),
      dims: 16,
      classes: 4,
      epochs: 30,
      batchSize: 64,
    });
    assert.ok(r.top1 > 0.17 && r.top1 < 0.33, `top1 ${r.top1} near chance 0.25`);
    assert.ok(r.trainTop1 > r.top1 + 0.05, `train ${r.trainTop1} vs test ${r.top1}`);
  });

  it('is reproducible with a seed; the seed changes the batch order and so the weights', async () => {
    const tf = await loadTf();
    const options = { train: toy(100, 5, 3, 5), test: toy(30, 5, 3, 6), dims: 5, classes: 3, epochs: 3, batchSize: 16 };
    const a = await trainLinearProbe(tf, { ...options, seed: 9 });
    const b = await trainLinearProbe(tf, { ...options, seed: 9 });
    const c = await trainLinearProbe(tf, { ...options, seed: 10 });
    assert.deepEqual(a.weights, b.weights);
    assert.deepEqual(a.bias, b.bias);
    assert.equal(a.top1, b.top1);
    const constant = await trainLinearProbe(tf, { ...options, seed: 9, schedule: 'constant' });
    assert.notDeepEqual(constant.weights, a.weights);
    assert.notDeepEqual(a.weights, c.weights);
    // one full batch per epoch: the order changes only the summation order, so every seed agrees to rounding
    const full = { ...options, batchSize: 100 };
    const [f1, f2] = [
      (await trainLinearProbe(tf, { ...full, seed: 1 })).weights,
      (await trainLinearProbe(tf, { ...full, seed: 2 })).weights,
    ];
    for (let i = 0; i < f1.length; i++) assert.ok(Math.abs(f1[i]! - f2[i]!) < 1e-4, `${f1[i]} vs ${f2[i]}`);
  });

  it('standardises with the training statistics without touching the inputs', async () => {
    const tf = await loadTf();
    const train = toy(90, 3, 3, 7);
    const test = toy(45, 3, 3, 8);
    // Shift and blow up every feature: separable still, but far from Adam's comfortable scale.
    const warp = (f: LabelledFeatures): LabelledFeatures => ({
      labels: f.labels,
      features: Float64Array.from(f.features, (v, i) => 1e4 + v * 1000 * (1 + (i % 3))),
    });
    const [wTrain, wTest] = [warp(train), warp(test)];
    const copy = Float64Array.from(wTrain.features);
    const on = await trainLinearProbe(tf, {
      train: wTrain,
      test: wTest,
      dims: 3,
      classes: 3,
      epochs: 10,
      batchSize: 16,
    });
    assert.equal(on.top1, 1);
    assert.deepEqual(wTrain.features, copy);
    // the same as standardising by hand with the training mean and (population) std, then not standardising
    const column = (j: number): number[] => Array.from(wTrain.features).filter((_, i) => i % 3 === j);
    const mean = [0, 1, 2].map((j) => column(j).reduce((a, b) => a + b, 0) / 90);
    const std = [0, 1, 2].map((j) => Math.sqrt(column(j).reduce((a, b) => a + (b - mean[j]!) ** 2, 0) / 90));
    const byHand = (f: LabelledFeatures): LabelledFeatures => ({
      labels: f.labels,
      features: Float32Array.from(f.features, (v, i) => (v - mean[i % 3]!) / std[i % 3]!),
    });
    const off = await trainLinearProbe(tf, {
      train: byHand(wTrain),
      test: byHand(wTest),
      dims: 3,
      classes: 3,
      epochs: 10,
      batchSize: 16,
      standardize: false,
    });
    for (let i = 0; i < 9; i++)
      assert.ok(
        Math.abs(off.weights[i]! - on.weights[i]!) < 1e-3,
        `weight ${i}: ${off.weights[i]} vs ${on.weights[i]}`,
      );
    // without standardising, the raw 1e4-offset features give different weights
    const raw = await trainLinearProbe(tf, {
      train: wTrain,
      test: wTest,
      dims: 3,
      classes: 3,
      epochs: 10,
      batchSize: 16,
      standardize: false,
    });
    assert.ok(raw.weights.some((w, i) => Math.abs(w - on.weights[i]!) > 1e-2));
  });

  it('rejects bad options and inputs with the house errors, making no tensor', async () => {
    const tf = await loadTf();
    const before = tf.memory().numTensors;
    const train = toy(10, 2, 2, 1);
    const test = toy(4, 2, 2, 2);
    const ok = { train, test, dims: 2, classes: 2 };
    const cases: [Record<string, unknown>, RegExp, ErrorConstructor][] = [
      [{ dims: 0 }, /Cannot train a linear probe as dims must be >= 1: current value is 0/, RangeError],
      [{ classes: 1 }, /classes must be >= 2/, RangeError],
      [{ epochs: 0 }, /epochs must be >= 1/, RangeError],
      [{ batchSize: 1.5 }, /batchSize must be an integer/, RangeError],
      [{ learningRate: 0 }, /learningRate must be a positive finite number/, RangeError],
      [{ l2: -1 }, /l2 must be a non-negative finite number/, RangeError],
      [{ seed: -1 }, /seed must be in \[0, 4294967295\]/, RangeError],
      [{ schedule: 'linear' }, /schedule must be 'cosine' or 'constant'/, RangeError],
      [{ standardize: 'yes' }, /standardize must be a boolean/, TypeError],
      [{ dims: 3 }, /train.features must hold 10 x 3 values/, RangeError],
      [
        { train: { ...train, labels: Int32Array.from(train.labels, () => 2) } },
        /every train label must be in \[0, 1\]: current value is 2/,
        RangeError,
      ],
      [
        { test: { features: test.features, labels: Array.from(test.labels) } },
        /test.labels must be an Int32Array/,
        TypeError,
      ],
      [
        { test: { features: test.features.map((v, i) => (i === 3 ? Number.NaN : v)), labels: test.labels } },
        /every test feature must be finite: current value is NaN/,
        RangeError,
      ],
      [
        { train: { features: new Float32Array(0), labels: new Int32Array(0) } },
        /train must hold at least one sample/,
        RangeError,
      ],
    ];
    for (const [bad, message, type] of cases)
      await assert.rejects(
        trainLinearProbe(tf, { ...ok, ...bad }),
        (e: Error) => e instanceof type && message.test(e.message),
        JSON.stringify(Object.keys(bad)),
      );
    assert.equal(tf.memory().numTensors, before);
  });

  it(
    'reaches a sane raw-pixel accuracy on real Fashion-MNIST (1000 train, 500 test)',
    {
      skip: existsSync(FASHION_MNIST_DEBIAN_ROOT)
        ? false
        : `${FASHION_MNIST_DEBIAN_ROOT} not present (apt install dataset-fashion-mnist)`,
    },
    async () => {
      const tf = await loadTf();
      const split = async (stem: string, n: number): Promise<LabelledFeatures> => {
        const images = await readIdx(join(FASHION_MNIST_DEBIAN_ROOT, `${stem}-images-idx3-ubyte.gz`));
        const labels = await readIdx(join(FASHION_MNIST_DEBIAN_ROOT, `${stem}-labels-idx1-ubyte.gz`));
        const features = await pixelFeatures([{ data: images.data.subarray(0, n * 784), shape: [n, 28, 28, 1] }]);
        return { features, labels: Int32Array.from(labels.data.subarray(0, n)) };
      };
      const r = await trainLinearProbe(tf, {
        train: await split('train', 1000),
        test: await split('t10k', 500),
        dims: 784,
        classes: 10,
        epochs: 20,
        batchSize: 128,
        seed: 1,
      });
      assert.ok(r.top1 > 0.7 && r.top1 < 0.95, `top1 ${r.top1}`);
    },
  );
});

describe('encoderFeatures / pixelFeatures', () => {
  it('runs a frozen encoder batch by batch on scaled uint8 (and float32 as is), any input rank, flat tensor count', async () => {
    const tf = await loadTf();
    const before = tf.memory().numTensors;
    // [n, 2, 2, 2, 1] clips -> flatten -> dense(3) with fixed weights: features = x . W + b
    const encoder = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [2, 2, 2, 1] }),
        tf.layers.dense({ units: 3, kernelInitializer: 'ones', biasInitializer: 'zeros' }),
      ],
    });
    const w = Float32Array.from({ length: 24 }, (_, i) => (i % 5) - 2);
    encoder.layers[1]!.setWeights([tf.tensor2d(w, [8, 3]), tf.tensor1d([0.5, 0, -0.5])].map((t) => tf.keep(t)));
    const kernelsMade = tf.memory().numTensors;
    const rng = Random.derive(1, 'clips');
    const u8 = Uint8Array.from({ length: 3 * 8 }, () => rng.int(0, 255));
    const f32 = Float32Array.from({ length: 2 * 8 }, () => rng.float() * 2 - 1);
    async function* batches() {
      yield { data: u8, shape: [3, 2, 2, 2, 1] };
      yield { data: new Uint8Array(0), shape: [0, 2, 2, 2, 1] };
      yield { data: f32, shape: [2, 2, 2, 2, 1] };
    }
    const feats = await encoderFeatures(tf, encoder, batches());
    assert.equal(feats.length, 5 * 3);
    const rows = [
      ...Array.from({ length: 3 }, (_, n) => Array.from(u8.subarray(n * 8, n * 8 + 8), (v) => v / 127.5 - 1)),
      ...Array.from({ length: 2 }, (_, n) => Array.from(f32.subarray(n * 8, n * 8 + 8))),
    ];
    for (const [n, x] of rows.entries()) {
      for (let k = 0; k < 3; k++) {
        const want = x.reduce((s, v, j) => s + v * w[j * 3 + k]!, 0) + [0.5, 0, -0.5][k]!;
        assert.ok(Math.abs(feats[n * 3 + k]! - want) < 1e-4, `row ${n} unit ${k}: ${feats[n * 3 + k]} vs ${want}`);
      }
    }
    assert.deepEqual(await encoderFeatures(tf, encoder, []), new Float32Array(0));
    await assert.rejects(
      encoderFeatures(tf, encoder, [{ data: u8, shape: [3, 2, 2, 2] }]),
      /must have the encoder's rank 5/,
    );
    await assert.rejects(
      encoderFeatures(tf, encoder, [{ data: u8, shape: [3, 2, 2, 2, 2] }]),
      /must be \[n, 2, 2, 2, 1\]/,
    );
    await assert.rejects(
      encoderFeatures(tf, encoder, [{ data: u8, shape: [2, 2, 2, 2, 1] }]),
      /data must hold 16 values/,
    );
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    await assert.rejects(
      encoderFeatures(tf, encoder, [{ data: u8, shape: [3, 2, 2, 2, 1] }], { signal: aborted.signal }),
      /stop/,
    );
    assert.equal(tf.memory().numTensors, kernelsMade);
    encoder.dispose();
    assert.ok(tf.memory().numTensors <= before + 2, 'only the two kept weight tensors may remain'); // setWeights copies; the kept inputs stay
  });

  it('pixelFeatures flattens and scales rows', async () => {
    const f = await pixelFeatures([
      { data: Uint8Array.from([0, 255, 51, 204]), shape: [2, 2] },
      { data: Float32Array.from([0.5, -0.5]), shape: [1, 2] },
    ]);
    assert.deepEqual(
      Array.from(f, (v) => Math.round(v * 100) / 100),
      [-1, 1, -0.6, 0.6, 0.5, -0.5],
    );
    await assert.rejects(
      pixelFeatures([
        { data: new Uint8Array(4), shape: [2, 2] },
        { data: new Uint8Array(3), shape: [1, 3] },
      ]),
      /rows of 2 values/,
    );
    assert.equal((await pixelFeatures([])).length, 0);
  });
});
