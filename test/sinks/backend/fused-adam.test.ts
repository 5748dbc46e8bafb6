import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TF from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../sinks/backend/index.js';
import { createAdam } from '../../../sinks/backend/fused-adam.js';
import { seededValues } from '../../helpers/seeded-values.js';

// The fused Adam against tfjs-core's own on the same backend, step by step: the same float32 numbers.

const SIZES: ReadonlyArray<readonly number[]> = [[1], [5], [4099], [40_003], [262_147], [3, 3, 8, 16]];

/** Runs `steps` updates of fresh variables (seeded) with `optimizer`; the weights and moments after. */
async function train(tf: typeof TF, optimizer: TF.Optimizer, steps: number, skip?: number): Promise<Float32Array[]> {
  const variables = SIZES.map((shape, i) =>
    tf.variable(
      tf.tensor(seededValues(tf.util.sizeFromShape([...shape]), 10 + i), [...shape]),
      true,
      `w${i}-${Math.random()}`,
    ),
  );
  for (let step = 0; step < steps; step++) {
    const grads: TF.NamedTensorMap = {};
    variables.forEach((v, i) => {
      if (i === skip) return; // a variable without a gradient this step is left alone
      grads[v.name] = tf.tensor(seededValues(v.size, 100 * step + i), v.shape);
    });
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const weights = await optimizer.getWeights();
  const out = [
    ...variables.map((v) => v.dataSync() as Float32Array),
    ...weights.slice(1).map((w) => w.tensor.dataSync() as Float32Array),
  ];
  tf.dispose(variables);
  optimizer.dispose();
  return out;
}

describe('createAdam', () => {
  let tf: typeof TF;
  before(async () => {
    tf = (await selectBackend({ backend: 'wasm', threads: 2 })).tf;
    await import('@tensorflow/tfjs-backend-cpu');
  });

  for (const [lr, beta1, beta2] of [
    [2e-4, 0, 0.999],
    [1e-2, 0.9, 0.99],
  ] as const) {
    it(`gives tf.train.adam's weights and moments exactly on wasm (lr ${lr}, betas ${beta1}, ${beta2}, 3 steps)`, async () => {
      await tf.setBackend('wasm');
      const fused = await train(tf, createAdam(tf, lr, beta1, beta2), 3);
      const own = await train(tf, tf.train.adam(lr, beta1, beta2), 3);
      assert.equal(fused.length, own.length);
      fused.forEach((a, k) => assert.deepEqual(a, own[k], `array ${k}`));
      assert.ok(
        fused[0]!.some((x, i) => x !== seededValues(1, 10)[i]),
        'the weights moved',
      );
    });
  }

  it('runs one fused kernel per variable on wasm, not the thirteen element-wise ones', async () => {
    await tf.setBackend('wasm');
    const optimizer = createAdam(tf, 1e-3);
    const w = tf.variable(tf.ones([64]), true, `fused-${Math.random()}`);
    const g = tf.ones([64]);
    const info = await tf.profile(() => optimizer.applyGradients([{ name: w.name, tensor: g }]));
    const kernels = new Set(info.kernelNames);
    for (const name of ['Sqrt', 'RealDiv', 'Square'])
      assert.ok(!kernels.has(name), `${name} in ${[...kernels].join()}`);
    assert.notDeepEqual(Array.from(w.dataSync()), new Array(64).fill(1));
    tf.dispose([w, g]);
    optimizer.dispose();
  });

  it('skips a variable without a gradient, as tf.train.adam does', async () => {
    await tf.setBackend('wasm');
    const fused = await train(tf, createAdam(tf, 1e-2, 0.9, 0.99), 2, 2);
    const own = await train(tf, tf.train.adam(1e-2, 0.9, 0.99), 2, 2);
    fused.forEach((a, k) => assert.deepEqual(a, own[k], `array ${k}`));
  });

  it("is a tf.AdamOptimizer whose state round-trips, and the package's update on the cpu backend", async () => {
    await tf.setBackend('cpu');
    const optimizer = createAdam(tf, 1e-2, 0.9, 0.99);
    assert.ok(optimizer instanceof tf.AdamOptimizer);
    assert.equal(optimizer.getClassName(), 'Adam');
    const fused = await train(tf, optimizer, 2);
    const own = await train(tf, tf.train.adam(1e-2, 0.9, 0.99), 2);
    fused.forEach((a, k) => assert.deepEqual(a, own[k], `array ${k}`));
  });
});
