import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type * as TFJS from '@tensorflow/tfjs';
import { fileIoHandler } from '../../../sinks/checkpoint/file-io-handler.js';
import { batchNormLayer } from '../../../sinks/gan/batch-norm-layer.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { relativeDifference } from '../../helpers/relative-difference.js';
import { wasmWithCpu } from '../../helpers/wasm-with-cpu.js';

// The project's batch normalisation layer (its training mode one op, batchNormTraining, with the
// NdaflowBatchMoments and NdaflowBatchNormGrad kernels on wasm) against tfjs-layers' batchNormalization,
// which it replaces in the GANs: same weights, outputs, moving statistics and gradients.

/** [64, 16, 16, 64] and [10, 6, 7, 12] take the SIMD kernels on wasm; [6, 5, 5, 8] is too small, and 6 channels are not a multiple of 4: their composite paths. */
const SHAPES = [
  [64, 16, 16, 64],
  [10, 6, 7, 12], // 420 rows: a last partial block of the sums
  [6, 5, 5, 8],
  [64, 4, 4, 6],
];

const simd = (backend: string, shape: number[]) =>
  backend === 'wasm' && shape.reduce((a, b) => a * b, 1) >= 4096 && shape[shape.length - 1]! % 4 === 0;

describe('batchNormLayer matches tfjs-layers batchNormalization', () => {
  let tf: typeof TFJS;
  before(async () => {
    tf = await wasmWithCpu(2);
  });

  /** The two layers built on `shape`, with the same random gamma and beta. */
  function pair(shape: number[]) {
    const c = shape[shape.length - 1]!;
    const ours = batchNormLayer(tf)({ momentum: 0.9, epsilon: 1e-5 });
    const theirs = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
    const x = tf.zeros(shape);
    tf.dispose([ours.apply(x) as TFJS.Tensor, theirs.apply(x) as TFJS.Tensor, x]);
    const weights = [
      tf.randomNormal([c], 1, 0.2, 'float32', 3),
      tf.randomNormal([c], 0, 0.2, 'float32', 4),
      tf.zeros([c]),
      tf.ones([c]),
    ];
    for (const l of [ours, theirs]) l.setWeights(weights);
    tf.dispose(weights);
    return { ours, theirs };
  }

  const relative = (a: TFJS.Tensor, b: TFJS.Tensor): number => relativeDifference(tf, a, b);

  for (const backend of ['wasm', 'cpu'])
    for (const shape of backend === 'cpu' ? SHAPES.slice(1) : SHAPES)
      // the cpu backend: seconds for the largest
      it(`${backend} ${JSON.stringify(shape)}: training output, moving statistics, gradients w.r.t. x, gamma and beta${simd(backend, shape) ? ' (SIMD kernels)' : ''}`, async () => {
        await tf.setBackend(backend);
        const { ours, theirs } = pair(shape);
        // not centred, not unit: the moments matter
        const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 1.5));
        const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
        const before = tf.memory().numTensors;
        const results = [ours, theirs].map((layer) =>
          tf.tidy(() => {
            const loss = () => tf.sum<TFJS.Scalar>(tf.mul(layer.apply(x, { training: true }) as TFJS.Tensor, dy));
            const { grads } = tf.variableGrads(loss);
            const gx = tf.grad((a: TFJS.Tensor) =>
              tf.sum(tf.mul(layer.apply(a, { training: true }) as TFJS.Tensor, dy)),
            )(x);
            const [gamma, beta] = layer.trainableWeights.map((w) => grads[w.originalName]!);
            const y = layer.apply(x, { training: true }) as TFJS.Tensor;
            // three training calls so far: the moving statistics moved three times
            const [, , movingMean, movingVariance] = layer.getWeights();
            return {
              y,
              gx,
              gamma: gamma!,
              beta: beta!,
              movingMean: movingMean!.clone(),
              movingVariance: movingVariance!.clone(),
            };
          }),
        );
        const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
        const tolerance = simd(backend, shape) ? 2e-5 : 1e-6;
        for (const key of ['y', 'gx', 'gamma', 'beta', 'movingMean', 'movingVariance'] as const)
          assert.ok(relative(a[key], b[key]) <= tolerance, `${key}: ${relative(a[key], b[key])}`);
        // the gradient is not zero (a sum of dy * y would have a zero x-gradient were y not normalised per batch)
        assert.ok(tf.tidy(() => tf.max(tf.abs(a.gx)).dataSync()[0]!) > 1e-3);
        for (const r of results) tf.dispose(Object.values(r));
        assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
        // inference mode: the moving statistics, as tfjs-layers
        const inference = [ours, theirs].map((l) => l.apply(x, { training: false }) as TFJS.Tensor);
        assert.ok(relative(inference[0]!, inference[1]!) <= tolerance, 'inference');
        tf.dispose([...inference, x, dy]);
      });

  it('runs the gradient as one NdaflowBatchNormGrad kernel on wasm, the composite ops on cpu, fewer than tfjs-layers', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tf.setBackend(backend);
      const counts = [];
      for (const layer of [
        batchNormLayer(tf)({ momentum: 0.9, epsilon: 1e-5 }),
        tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }),
      ]) {
        const x = tf.randomNormal([16, 8, 8, 16], 0, 1, 'float32', 5);
        const info = await tf.profile(() =>
          tf.grad((a: TFJS.Tensor) => tf.sum(tf.square(layer.apply(a, { training: true }) as TFJS.Tensor)))(x),
        );
        tf.dispose([info.result, x]);
        counts.push(info.kernels.length);
        if (counts.length > 1) continue;
        const names = new Set(info.kernels.map((k) => k.name));
        const ours = ['NdaflowBatchMoments', 'NdaflowBatchNormGrad'].every((n) => names.has(n));
        assert.equal(ours, backend === 'wasm', `${backend}: ${[...names].join()}`);
      }
      assert.ok(counts[0]! < counts[1]!, `${backend}: ${counts[0]} kernels against tfjs-layers' ${counts[1]}`);
    }
  });

  it('keeps tfjs-layers weights (order, names, shapes), and a model with it round-trips through save and load', async () => {
    await tf.setBackend('wasm');
    const { ours, theirs } = pair([2, 3, 3, 8]);
    assert.deepEqual(
      ours.weights.map((w) => [w.originalName.split('/').pop(), w.shape, w.trainable]),
      theirs.weights.map((w) => [w.originalName.split('/').pop(), w.shape, w.trainable]),
    );
    const input = tf.input({ shape: [4, 4, 8] });
    const model = tf.model({
      inputs: input,
      outputs: batchNormLayer(tf)({ momentum: 0.5 }).apply(input) as TFJS.SymbolicTensor,
    });
    const x = tf.randomNormal([3, 4, 4, 8], 2, 3, 'float32', 6);
    tf.dispose(model.apply(x, { training: true }) as TFJS.Tensor); // moves the moving statistics
    const dir = tempDir();
    await model.save(fileIoHandler(tf, join(dir, 'm')));
    const loaded = await tf.loadLayersModel(fileIoHandler(tf, join(dir, 'm')));
    assert.equal(loaded.layers[1]!.getClassName(), 'NdaflowBatchNorm');
    assert.deepEqual(loaded.layers[1]!.getConfig()['momentum'], 0.5);
    const [p, q] = [model, loaded].map((m) => m.predict(x) as TFJS.Tensor);
    assert.deepEqual(Array.from(await q!.data()), Array.from(await p!.data()));
    tf.dispose([p!, q!, x]);
  });
});
