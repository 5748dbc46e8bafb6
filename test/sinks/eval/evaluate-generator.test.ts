import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { evaluateGenerator } from '../../../sinks/eval/evaluate-generator.js';
import { featuresOf } from '../../../sinks/eval/features-of.js';
import type { ImageBatch } from '../../../sources/sample.js';

async function loadTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'cpu' });
  return await import('@tensorflow/tfjs');
}

/** z (4) -> 8x8x1 images in [-1, 1]; `offset` moves its outputs. */
function tinyGenerator(tf: typeof TFJS, seed: number, offset = 0): TFJS.LayersModel {
  const z = tf.input({ shape: [4] });
  const h = tf.layers
    .dense({
      units: 64,
      kernelInitializer: tf.initializers.glorotNormal({ seed }),
      biasInitializer: tf.initializers.constant({ value: offset }),
      activation: 'tanh',
    })
    .apply(z) as TFJS.SymbolicTensor;
  return tf.model({
    inputs: z,
    outputs: tf.layers.reshape({ targetShape: [8, 8, 1] }).apply(h) as TFJS.SymbolicTensor,
  });
}

/** 8x8x1 -> 6 features. */
function tinyFeatures(tf: typeof TFJS): TFJS.LayersModel {
  const x = tf.input({ shape: [8, 8, 1] });
  const f = tf.layers.flatten().apply(x) as TFJS.SymbolicTensor;
  return tf.model({
    inputs: x,
    outputs: tf.layers
      .dense({ units: 6, kernelInitializer: tf.initializers.glorotNormal({ seed: 9 }) })
      .apply(f) as TFJS.SymbolicTensor,
  });
}

/** Images of a generator as uint8 batches (what the loader would give for real images). */
async function imagesOf(tf: typeof TFJS, g: TFJS.LayersModel, n: number, seed: number): Promise<ImageBatch[]> {
  const t = tf.tidy(() => g.predict(tf.randomNormal([n, 4], 0, 1, 'float32', seed)) as TFJS.Tensor);
  const v = await t.data();
  t.dispose();
  const data = Uint8Array.from(v, (x) => Math.round((x + 1) * 127.5));
  return [0, 1].map((h) => ({
    data: data.subarray((h * n * 64) / 2, ((h + 1) * n * 64) / 2),
    shape: [n / 2, 8, 8, 1] as const,
  }));
}

describe('featuresOf / evaluateGenerator', () => {
  it('scores a generator close to the real images lower than a shifted one, deterministically, with flat tensor counts', async () => {
    const tf = await loadTf();
    const g = tinyGenerator(tf, 1);
    const far = tinyGenerator(tf, 1, 0.8);
    const features = tinyFeatures(tf);
    const before = tf.memory().numTensors;
    const real = await featuresOf(tf, features, await imagesOf(tf, g, 200, 77));
    assert.deepEqual(real.shape, [200, 6]);
    const options = { features, real, n: 150, seed: 2, batchSize: 64, kid: { subsets: 10, subsetSize: 50 } };
    const near = await evaluateGenerator(tf, { generator: g, ...options });
    const again = await evaluateGenerator(tf, { generator: g, ...options });
    const bad = await evaluateGenerator(tf, { generator: far, ...options });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(near.n, 150);
    assert.deepEqual(near, again);
    assert.ok(near.fid >= 0 && near.fid < bad.fid / 5, `near ${near.fid} far ${bad.fid}`);
    assert.ok(near.kid.mean < bad.kid.mean / 5, `near ${near.kid.mean} far ${bad.kid.mean}`);
    for (const m of [g, far, features]) m.dispose();
  });

  it('rejects mismatched shapes before generating', async () => {
    const tf = await loadTf();
    const g = tinyGenerator(tf, 1);
    const features = tinyFeatures(tf);
    const real = { data: new Float32Array(12), shape: [2, 6] as const };
    await assert.rejects(
      evaluateGenerator(tf, { generator: g, features, real: { data: new Float32Array(10), shape: [2, 5] }, n: 4 }),
      /real must be a \[m, 6\] feature matrix/,
    );
    await assert.rejects(
      evaluateGenerator(tf, { generator: g, features, real, n: 1 }),
      /Cannot evaluate a generator as n/,
    );
    await assert.rejects(featuresOf(tf, features, []), /at least one image/);
    const wide = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 100 }), tf.layers.reshape({ targetShape: [10, 10, 1] })],
    });
    await assert.rejects(
      evaluateGenerator(tf, { generator: wide, features, real, n: 4 }),
      /must have the feature model's input shape/,
    );
    for (const m of [g, features, wide]) m.dispose();
  });
});
