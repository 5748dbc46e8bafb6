import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { createImageEncoder } from '../../../sinks/contrastive/image-encoder.js';
import { createVideoEncoder } from '../../../sinks/contrastive/video-encoder.js';
import { createMocoModels } from '../../../sinks/contrastive/moco-models.js';
import { infoNceNda } from '../../../sinks/contrastive/info-nce-nda.js';
import { momentumUpdate } from '../../../sinks/contrastive/momentum-update.js';
import { enqueueKeys } from '../../../sinks/contrastive/enqueue-keys.js';
import { viewsToTensor } from '../../../sinks/contrastive/views-to-tensor.js';
import { fileIoHandler } from '../../../sinks/checkpoint/file-io-handler.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

/** Plain JS InfoNCE of one query: logits [pos, negs...] / T, cross-entropy with target 0. */
function rowLoss(q: number[], k: number[], negatives: number[][], t: number): number {
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  const logits = [dot(q, k), ...negatives.map((n) => dot(q, n))].map((l) => l / t);
  const max = Math.max(...logits);
  const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
  return lse - logits[0]!;
}

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe('contrastive encoders', () => {
  it('the image encoder (small ResNet) maps [n, 8, 8, 3] to [n, 4 * width] features', async () => {
    const tf = await getTf();
    const before = tf.memory().numTensors;
    const enc = createImageEncoder(tf, { inputShape: [8, 8, 3], width: 4, seed: 1 });
    assert.deepEqual(enc.outputs[0]!.shape, [null, 16]);
    const again = createImageEncoder(tf, { inputShape: [8, 8, 3], width: 4, seed: 1 });
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 3);
    const [a, b] = [enc.predict(x) as TFJS.Tensor, again.predict(x) as TFJS.Tensor];
    assert.deepEqual(a.shape, [2, 16]);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), 'same seed, same weights');
    const deeper = createImageEncoder(tf, { inputShape: [8, 8, 1], width: 2, blocks: [2, 1] });
    assert.deepEqual(deeper.outputs[0]!.shape, [null, 4]);
    tf.dispose([x, a, b]);
    for (const m of [enc, again, deeper]) m.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.throws(
      () => createImageEncoder(tf, { inputShape: [8, 8] as never }),
      /Cannot create an image encoder as inputShape must be \[h, w, c\]/,
    );
    assert.throws(() => createImageEncoder(tf, { inputShape: [8, 8, 3], blocks: [] }), RangeError);
    assert.throws(
      () => createImageEncoder(tf, { inputShape: [8, 8, 3], width: 0 }),
      /width must be in \[1, 4096\]: current value is 0/,
    );
  });

  it('the video encoder ((2+1)D from conv2d only) maps [n, 4, 8, 8, 3] clips to features', async () => {
    const tf = await getTf();
    const before = tf.memory().numTensors;
    const enc = createVideoEncoder(tf, { inputShape: [4, 8, 8, 3], width: 4, seed: 2 });
    assert.deepEqual(enc.outputs[0]!.shape, [null, 16]);
    assert.ok(enc.layers.every((l) => !/conv3d/i.test(l.getClassName())));
    const clips = tf.randomUniform([2, 4, 8, 8, 3], -1, 1, 'float32', 4);
    const out = enc.predict(clips) as TFJS.Tensor;
    assert.deepEqual(out.shape, [2, 16]);
    // Frames matter in order: reversing time changes the features (the temporal convs see order).
    const reversed = tf.reverse(clips, 1);
    const outR = enc.predict(reversed) as TFJS.Tensor;
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(out, outR))));
    assert.ok(diff.dataSync()[0]! > 1e-6, 'time order is seen');
    // It saves and loads (the fold / unfold layers are registered): same outputs.
    const dir = tempDir();
    await enc.save(fileIoHandler(tf, dir));
    const loaded = await tf.loadLayersModel(fileIoHandler(tf, dir));
    const outL = loaded.predict(clips) as TFJS.Tensor;
    assert.deepEqual(Array.from(outL.dataSync()), Array.from(out.dataSync()));
    loaded.dispose();
    tf.dispose([clips, out, reversed, outR, diff, outL]);
    enc.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.throws(
      () => createVideoEncoder(tf, { inputShape: [8, 8, 3] as never }),
      /inputShape must be \[t, h, w, c\]/,
    );
  });

  it('viewsToTensor scales uint8 images and clips to [-1, 1] and refuses a short buffer', async () => {
    const tf = await getTf();
    const t = viewsToTensor(tf, { data: Uint8Array.from([0, 255, 51, 204, 0, 255, 51, 204]), shape: [1, 2, 1, 2, 2] });
    assert.deepEqual(t.shape, [1, 2, 1, 2, 2]);
    assert.deepEqual(
      Array.from(t.dataSync()).map((v) => Math.round(v * 1e4) / 1e4),
      [-1, 1, -0.6, 0.6, -1, 1, -0.6, 0.6],
    );
    t.dispose();
    assert.throws(() => viewsToTensor(tf, { data: new Uint8Array(3), shape: [1, 2, 2, 1] }), RangeError);
  });
});

describe('createMocoModels', () => {
  it('builds query and key networks with equal weights, a seeded queue of unit rows, and disposes everything', async () => {
    const tf = await getTf();
    const before = tf.memory().numTensors;
    const build = () =>
      createMocoModels(tf, {
        encoder: () => createImageEncoder(tf, { inputShape: [8, 8, 3], width: 4, seed: 5 }),
        queueSize: 16,
        projectionDim: 8,
        seed: 6,
      });
    const m = build();
    assert.equal(m.featureDim, 16);
    assert.deepEqual(m.queue.shape, [16, 8]);
    assert.equal(m.queuePointer, 0);
    assert.equal(m.queueFill, 0);
    assert.equal(m.optimizer.getClassName(), 'Momentum');
    for (const [q, k] of [
      [m.queryEncoder, m.keyEncoder],
      [m.queryHead, m.keyHead],
    ] as const) {
      assert.equal(q.weights.length, k.weights.length);
      q.weights.forEach((w, i) =>
        assert.deepEqual(Array.from(w.read().dataSync()), Array.from(k.weights[i]!.read().dataSync())),
      );
    }
    assert.notEqual(m.queryEncoder, m.keyEncoder);
    const normsT = tf.norm(m.queue, 'euclidean', 1);
    const norms = normsT.dataSync();
    normsT.dispose();
    assert.ok(
      Array.from(norms).every((n) => Math.abs(n - 1) < 1e-5),
      `queue rows are unit vectors: ${Array.from(norms).join(', ')}`,
    );
    const m2 = build();
    assert.deepEqual(Array.from(m2.queue.dataSync()), Array.from(m.queue.dataSync()), 'the queue is seeded');
    m.dispose();
    m.dispose();
    m2.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => createMocoModels(tf, { encoder: 3 as never }), /encoder must be a function/);
    assert.throws(
      () =>
        createMocoModels(tf, {
          encoder: () => createImageEncoder(tf, { inputShape: [8, 8, 3], width: 2 }),
          optimizer: 'rmsprop' as never,
        }),
      /optimizer must be 'sgd', 'adam' or an optimizer/,
    );
    assert.equal(tf.memory().numTensors, before, 'nothing leaks when the options are refused');
  });
});

describe('infoNceNda', () => {
  it("equals the hand-computed InfoNCE with each query's own NDA keys only; without NDA keys it is plain MoCo", async () => {
    const tf = await getTf();
    const T = 0.2;
    const q = [unit([1, 0.2, 0]), unit([0.1, 1, 0.3])];
    const k = [unit([0.9, 0.1, 0.1]), unit([0.2, 0.8, 0.1])];
    const queue = [unit([0, 0, 1]), unit([-1, 0.5, 0]), unit([0.3, -0.3, 0.9])];
    const nda = [unit([1, 0, 0.1]), unit([0.7, 0.7, 0]), unit([0, 1, 0]), unit([0.5, 0.5, 0.5])]; // m = 2: rows 0,1 -> q0; rows 2,3 -> q1
    const t2 = (rows: number[][]) => tf.tensor2d(rows);
    const [qT, kT, queueT, ndaT] = [t2(q), t2(k), t2(queue), t2(nda)];
    const before = tf.memory().numTensors;

    const withNda = infoNceNda(tf, { query: qT, key: kT, queue: queueT, ndaKeys: ndaT, temperature: T });
    const expected =
      (rowLoss(q[0]!, k[0]!, [...queue, nda[0]!, nda[1]!], T) +
        rowLoss(q[1]!, k[1]!, [...queue, nda[2]!, nda[3]!], T)) /
      2;
    assert.ok(Math.abs(withNda.loss.dataSync()[0]! - expected) < 1e-5, `${withNda.loss.dataSync()[0]} vs ${expected}`);
    assert.deepEqual(withNda.logits.shape, [2, 1 + 3 + 2]);
    // Query 0's NDA keys are not in query 1's denominator (a cross-batch product would give a different value).
    const leaky = (rowLoss(q[0]!, k[0]!, [...queue, ...nda], T) + rowLoss(q[1]!, k[1]!, [...queue, ...nda], T)) / 2;
    assert.ok(Math.abs(withNda.loss.dataSync()[0]! - leaky) > 1e-3);
    const logits = withNda.logits.arraySync();
    assert.ok(
      Math.abs(logits[1]![4]! - (q[1]![0]! * nda[2]![0]! + q[1]![1]! * nda[2]![1]! + q[1]![2]! * nda[2]![2]!) / T) <
        1e-5,
    );

    const plain = infoNceNda(tf, { query: qT, key: kT, queue: queueT, temperature: T });
    const expectedPlain = (rowLoss(q[0]!, k[0]!, queue, T) + rowLoss(q[1]!, k[1]!, queue, T)) / 2;
    assert.ok(Math.abs(plain.loss.dataSync()[0]! - expectedPlain) < 1e-5);
    assert.deepEqual(plain.logits.shape, [2, 4]);
    assert.ok(withNda.loss.dataSync()[0]! > plain.loss.dataSync()[0]!, 'extra negatives only add to the denominator');
    tf.dispose([withNda.loss, withNda.logits, plain.loss, plain.logits]);
    assert.equal(tf.memory().numTensors, before);
    assert.throws(
      () =>
        infoNceNda(tf, {
          query: qT,
          key: kT,
          queue: queueT,
          ndaKeys: t2([[1, 0, 0]]).concat(
            t2([
              [1, 0, 0],
              [0, 1, 0],
            ]),
          ),
          temperature: T,
        }),
      /ndaKeys must be \[n \* m, 3\]/,
    );
    assert.throws(
      () => infoNceNda(tf, { query: qT, key: kT, queue: queueT, temperature: 0 }),
      /temperature must be finite and > 0/,
    );
    tf.dispose([qT, kT, queueT, ndaT]);
  });
});

describe('momentumUpdate', () => {
  it('sets every key weight (moving statistics too) to m * key + (1 - m) * query', async () => {
    const tf = await getTf();
    const net = () => {
      const s = tf.sequential();
      s.add(tf.layers.dense({ inputShape: [2], units: 2 }));
      s.add(tf.layers.batchNormalization());
      return s;
    };
    const [q, k] = [net(), net()];
    q.setWeights(q.weights.map((w, i) => tf.fill(w.shape as number[], i + 1)));
    k.setWeights(k.weights.map((w, i) => tf.fill(w.shape as number[], 10 * (i + 1))));
    const before = tf.memory().numTensors;
    momentumUpdate(tf, q, k, 0.9);
    assert.equal(tf.memory().numTensors, before);
    k.weights.forEach((w, i) => {
      const want = 0.9 * 10 * (i + 1) + 0.1 * (i + 1);
      for (const v of w.read().dataSync())
        assert.ok(Math.abs(v - want) < 1e-5, `weight ${i} (${w.name}): ${v} vs ${want}`);
    });
    assert.equal(k.weights.length, 6, 'dense kernel and bias, BN gamma, beta, moving mean and variance');
    q.weights.forEach(
      (w, i) =>
        assert.ok(
          w
            .read()
            .dataSync()
            .every((v) => v === i + 1),
        ),
      'the query network is untouched',
    );
    momentumUpdate(tf, q, k, 0);
    k.weights.forEach(
      (w, i) =>
        assert.ok(
          w
            .read()
            .dataSync()
            .every((v) => v === i + 1),
        ),
      'm = 0 copies',
    );
    assert.throws(() => momentumUpdate(tf, q, k, 1.5), /momentum must be in \[0, 1\]: current value is 1.5/);
    q.dispose();
    k.dispose();
  });
});

describe('enqueueKeys', () => {
  it('writes a FIFO ring: wraps at K, advances the pointer, caps the fill, keeps the last K of a big batch', async () => {
    const tf = await getTf();
    const state = { queue: tf.variable(tf.zeros([5, 1]), false), queuePointer: 3, queueFill: 3 };
    const rows = () => Array.from(state.queue.dataSync());
    const keys = (...v: number[]) => tf.tensor2d(v, [v.length, 1]);
    const before = tf.memory().numTensors;
    const a = keys(1, 2, 3, 4);
    enqueueKeys(tf, state, a);
    assert.deepEqual(rows(), [3, 4, 0, 1, 2]);
    assert.equal(state.queuePointer, 2);
    assert.equal(state.queueFill, 5);
    const b = keys(7);
    enqueueKeys(tf, state, b);
    assert.deepEqual(rows(), [3, 4, 7, 1, 2]);
    assert.equal(state.queuePointer, 3);
    const c = keys(10, 11, 12, 13, 14, 15, 16);
    enqueueKeys(tf, state, c); // 7 keys into 5 rows from row 3: 10 -> 3, 11 -> 4, 12 -> 0, ..., 15 -> 3, 16 -> 4
    assert.deepEqual(rows(), [12, 13, 14, 15, 16]);
    assert.equal(state.queuePointer, 0);
    tf.dispose([a, b, c]);
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => enqueueKeys(tf, state, tf.zeros<TFJS.Rank.R2>([2, 2])), /keys must be \[b, 1\]/);
    state.queue.dispose();
  });
});
