import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { fileIoHandler } from '../../../sinks/checkpoint/file-io-handler.js';
import { evaluateClassifier } from '../../../sinks/eval/evaluate-classifier.js';
import type { LabelledBatch } from '../../../sinks/eval/labelled-batch.js';
import { loadFmnistClassifier } from '../../../sinks/eval/load-fmnist-classifier.js';
import { trainFmnistClassifier } from '../../../sinks/eval/train-fmnist-classifier.js';
import { Random } from '../../../sources/random.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function loadTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 1 });
  return await import('@tensorflow/tfjs');
}

/** 6x6 uint8 batches (padded to the size-8 classifier) of two classes: 0 a dark noisy image, 1 a bright one. */
function batches(count: number, n: number, seed: number): LabelledBatch[] {
  const rng = Random.derive(seed, 'test');
  return Array.from({ length: count }, () => {
    const labels = Int32Array.from({ length: n }, () => rng.int(0, 1));
    const data = new Uint8Array(n * 36);
    for (let i = 0; i < data.length; i++)
      data[i] = labels[Math.floor(i / 36)] === 1 ? 150 + rng.int(0, 100) : rng.int(0, 100);
    return { images: { data, shape: [n, 6, 6, 1] as const }, labels };
  });
}

describe('trainFmnistClassifier / evaluateClassifier', () => {
  it('learns a separable task from padded batches, deterministically, with flat tensor counts', async () => {
    const tf = await loadTf();
    const before = tf.memory().numTensors;
    const train = batches(12, 4, 1);
    const test = batches(2, 8, 2);
    const untrained = await trainFmnistClassifier(tf, [], { seed: 3, epochs: 1, size: 8 }).catch((e: Error) => e);
    assert.ok(untrained instanceof Error);
    assert.match(untrained.message, /must yield batches in epoch 1/);
    const losses: number[] = [];
    const a = await trainFmnistClassifier(tf, train, {
      seed: 3,
      epochs: 2,
      size: 8,
      learningRate: 0.01,
      onProgress: (p) => losses.push(p.loss),
    });
    assert.equal(a.steps, 24);
    assert.equal(a.samples, 96);
    assert.equal(losses.length, 24);
    assert.ok(losses.at(-1)! < losses[0]!, `loss falls: ${losses[0]} -> ${losses.at(-1)}`);
    const score = await evaluateClassifier(tf, a.classifier, test);
    assert.equal(score.n, 16);
    assert.equal(score.accuracy, 1);
    const b = await trainFmnistClassifier(tf, train.slice(0, 2), { seed: 3, size: 8 });
    const c = await trainFmnistClassifier(tf, train.slice(0, 2), { seed: 3, size: 8 });
    assert.deepEqual(await b.classifier.getWeights()[0]!.data(), await c.classifier.getWeights()[0]!.data());
    a.classifier.dispose();
    b.classifier.dispose();
    c.classifier.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects bad labels and options, releasing the model', async () => {
    const tf = await loadTf();
    const before = tf.memory().numTensors;
    const [good] = batches(1, 2, 5);
    await assert.rejects(
      trainFmnistClassifier(tf, [{ ...good!, labels: new Int32Array([0]) }], { size: 8 }),
      /one label per image/,
    );
    await assert.rejects(
      trainFmnistClassifier(tf, [{ ...good!, labels: new Int32Array([0, 10]) }], { size: 8 }),
      /every label must be in \[0, 9\]/,
    );
    await assert.rejects(trainFmnistClassifier(tf, [good!], { epochs: 0 }), RangeError);
    await assert.rejects(trainFmnistClassifier(tf, [good!], { learningRate: -1 }), RangeError);
    assert.equal(tf.memory().numTensors, before);
  });

  it('round-trips through fileIoHandler and loadFmnistClassifier with identical predictions', async () => {
    const tf = await loadTf();
    const dir = tempDir();
    const trained = await trainFmnistClassifier(tf, batches(1, 2, 6), { seed: 4, size: 8 });
    await trained.classifier.save(fileIoHandler(tf, dir));
    const loaded = await loadFmnistClassifier(tf, dir);
    const before = tf.memory().numTensors;
    const x = tf.randomUniform([2, 8, 8, 1], -1, 1, 'float32', 9);
    const [fa, fb] = [trained.features.predict(x) as TFJS.Tensor, loaded.features.predict(x) as TFJS.Tensor];
    assert.deepEqual(fb.shape, [2, 128]);
    assert.deepEqual(await fa.data(), await fb.data());
    tf.dispose([x, fa, fb]);
    assert.equal(tf.memory().numTensors, before);
    trained.classifier.dispose();
    loaded.classifier.dispose();
    await assert.rejects(loadFmnistClassifier(tf, `${dir}/missing`), /Cannot load model artifacts/);
  });

  it('loads the trained classifier shipped in data/fmnist-classifier by default', async (t) => {
    const tf = await loadTf();
    const { classifier, features } = await loadFmnistClassifier(tf);
    assert.deepEqual(classifier.outputs[0]!.shape, [null, 10]);
    assert.deepEqual(features.outputs[0]!.shape, [null, 128]);
    classifier.dispose();
    t.diagnostic(`shipped classifier present: ${existsSync('data/fmnist-classifier/model.json')}`);
  });
});
