import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { seededKernel } from '../../../sinks/gan/seeded-init.js';
import { deriveSeed } from '../../../sources/random.js';

async function loadTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'cpu' });
  return await import('@tensorflow/tfjs');
}

async function kernelOf(tf: typeof TFJS, config: ReturnType<typeof seededKernel>): Promise<Float32Array> {
  const layer = tf.layers.dense({ units: 5, inputShape: [7], ...config });
  const model = tf.sequential({ layers: [layer] });
  const values = (await model.getWeights()[0]!.data()) as Float32Array;
  model.dispose();
  return values;
}

describe('seededKernel', () => {
  it('draws the same kernel for the same (seed, scope, layer) and a different one otherwise', async () => {
    const tf = await loadTf();
    const a = await kernelOf(tf, seededKernel(tf, 7, 'net', 'dense0'));
    const b = await kernelOf(tf, seededKernel(tf, 7, 'net', 'dense0'));
    const otherSeed = await kernelOf(tf, seededKernel(tf, 8, 'net', 'dense0'));
    const otherLayer = await kernelOf(tf, seededKernel(tf, 7, 'net', 'dense1'));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, otherSeed);
    assert.notDeepEqual(a, otherLayer);
    assert.ok(a.some((v) => v !== 0));
  });

  it("uses tfjs's own seeded initialiser with the derived seed", async () => {
    const tf = await loadTf();
    const a = await kernelOf(tf, seededKernel(tf, 3, 'net', 'x', 'glorotUniform'));
    const b = await kernelOf(tf, {
      kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(3, 'net', 'x') }),
    });
    assert.deepEqual(a, b);
    const limit = Math.sqrt(6 / (7 + 5));
    assert.ok(a.every((v) => Math.abs(v) <= limit));
    const n = await kernelOf(tf, seededKernel(tf, 3, 'net', 'x'));
    const m = await kernelOf(tf, {
      kernelInitializer: tf.initializers.glorotNormal({ seed: deriveSeed(3, 'net', 'x') }),
    });
    assert.deepEqual(n, m);
  });

  it('leaves the default initialiser alone without a seed, and validates its arguments', async () => {
    const tf = await loadTf();
    assert.deepEqual(seededKernel(tf, undefined, 'net', 'x'), {});
    assert.throws(
      () => seededKernel(tf, -1, 'net', 'x'),
      /Cannot seed a kernel initialiser as seed must be in \[0, 4294967295\]: current value is -1/,
    );
    assert.throws(() => seededKernel(tf, 1.5, 'net', 'x'), RangeError);
    assert.throws(() => seededKernel(tf, '1' as never, 'net', 'x'), TypeError);
    assert.throws(() => seededKernel(tf, 1, 'net', 'x', 'heNormal' as never), RangeError);
  });
});
