import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { classifierFeatures } from '../../../sinks/eval/classifier-features.js';
import { createFmnistClassifier, FEATURE_LAYER } from '../../../sinks/eval/fmnist-classifier.js';

async function loadTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'cpu' });
  return await import('@tensorflow/tfjs');
}

describe('createFmnistClassifier', () => {
  it('maps 32x32x1 images to 10 logits and 128 features with shared weights', async () => {
    const tf = await loadTf();
    const before = tf.memory().numTensors;
    const { classifier, features } = createFmnistClassifier(tf, { seed: 1 });
    assert.equal(classifier.countParams(), 188_234);
    assert.deepEqual(classifier.inputs[0]!.shape, [null, 32, 32, 1]);
    assert.deepEqual(classifier.outputs[0]!.shape, [null, 10]);
    assert.deepEqual(features.outputs[0]!.shape, [null, 128]);
    assert.equal(
      features.layers.find((l) => l.name === 'conv1'),
      classifier.getLayer('conv1'),
      'same layer objects',
    );
    const x = tf.randomUniform([2, 32, 32, 1], -1, 1, 'float32', 3);
    const f = features.predict(x) as TFJS.Tensor;
    const logits = classifier.predict(x) as TFJS.Tensor;
    // logits = dense(features): recompute from the features with the dense layer's weights.
    const gap = tf.tidy(() => {
      const [kernel, bias] = classifier.getLayer('logits').getWeights();
      const again = tf.add(tf.matMul(f as TFJS.Tensor2D, kernel as TFJS.Tensor2D), bias!);
      return tf.max(tf.abs(tf.sub(again, logits)));
    });
    assert.ok((await gap.data())[0]! < 1e-4);
    assert.ok(
      (await f.data()).every((v) => v >= 0),
      'features after ReLU are non-negative',
    );
    tf.dispose([x, f, logits, gap]);
    classifier.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('is deterministic given the seed and differs between seeds', async () => {
    const tf = await loadTf();
    const a = createFmnistClassifier(tf, { seed: 7 });
    const b = createFmnistClassifier(tf, { seed: 7 });
    const c = createFmnistClassifier(tf, { seed: 8 });
    const wa = await a.classifier.getLayer('conv2').getWeights()[0]!.data();
    const wb = await b.classifier.getLayer('conv2').getWeights()[0]!.data();
    const wc = await c.classifier.getLayer('conv2').getWeights()[0]!.data();
    assert.deepEqual(wa, wb);
    assert.notDeepEqual(wa, wc);
    for (const m of [a, b, c]) m.classifier.dispose();
  });

  it('validates its options and the feature layer name', async () => {
    const tf = await loadTf();
    assert.throws(() => createFmnistClassifier(tf, { seed: -1 }), /Cannot create an fmnist classifier as seed/);
    assert.throws(() => createFmnistClassifier(tf, { size: 4 }), RangeError);
    const { classifier } = createFmnistClassifier(tf, { size: 8, seed: 1 });
    assert.equal(classifierFeatures(tf, classifier, FEATURE_LAYER).outputs[0]!.shape[1], 128);
    assert.throws(
      () => classifierFeatures(tf, classifier, 'nope'),
      /Cannot make a feature model as the classifier must have a layer named "nope"/,
    );
    classifier.dispose();
  });
});
