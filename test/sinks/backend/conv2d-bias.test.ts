import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { CONV2D_BIAS, conv2dWithBias } from '../../../sinks/backend/conv2d-bias.js';
import { relativeDifference } from '../../helpers/relative-difference.js';
import { wasmWithCpu } from '../../helpers/wasm-with-cpu.js';

// conv2dWithBias (the GAN layers' convolution with a bias): the NdaflowConv2dBias kernel on wasm, tf.conv2d
// then tf.add elsewhere; against tf.conv2d + tf.add: outputs, and gradients computed only for the inputs
// asked for.

const CASES: Array<{
  x: [number, number, number, number];
  k: number;
  co: number;
  stride: number;
  pad: 'same' | 'valid';
}> = [
  { x: [4, 16, 16, 64], k: 4, co: 128, stride: 2, pad: 'same' }, // a DCGAN discriminator layer, SIMD on wasm
  { x: [3, 9, 7, 5], k: 3, co: 20, stride: 1, pad: 'valid' },
  { x: [2, 8, 8, 3], k: 3, co: 3, stride: 2, pad: 'same' }, // 3 output channels
];

describe('conv2dWithBias matches tf.conv2d plus tf.add, and differentiates only what is asked', () => {
  let tf: typeof TFJS;
  before(async () => {
    tf = await wasmWithCpu(2);
  });

  const relative = (a: TFJS.Tensor, b: TFJS.Tensor): number => relativeDifference(tf, a, b);

  for (const backend of ['wasm', 'cpu'])
    for (const c of CASES)
      it(`${backend} ${JSON.stringify(c)}`, async () => {
        await tf.setBackend(backend);
        const before = tf.memory().numTensors;
        const x = tf.randomNormal<TFJS.Rank.R4>(c.x, 0, 1, 'float32', 1);
        const w = tf.randomNormal<TFJS.Rank.R4>([c.k, c.k, c.x[3], c.co], 0, 0.1, 'float32', 2);
        const b = tf.randomNormal([c.co], 0, 1, 'float32', 3);
        const ours = (xi: TFJS.Tensor4D, wi: TFJS.Tensor4D, bi: TFJS.Tensor) =>
          conv2dWithBias(tf, xi, wi, bi, c.stride, c.pad);
        const theirs = (xi: TFJS.Tensor4D, wi: TFJS.Tensor4D, bi: TFJS.Tensor) =>
          tf.add<TFJS.Tensor4D>(tf.conv2d(xi, wi, c.stride, c.pad), bi);
        const yOurs = tf.tidy(() => ours(x, w, b));
        const yTheirs = tf.tidy(() => theirs(x, w, b));
        assert.ok(relative(yOurs, yTheirs) <= 1e-5, `output: ${relative(yOurs, yTheirs)}`);
        const dy = tf.randomNormal(yTheirs.shape, 0, 1, 'float32', 4);
        const gradsOf = (f: typeof ours) =>
          tf.grads((xi: TFJS.Tensor, wi: TFJS.Tensor, bi: TFJS.Tensor) =>
            f(xi as TFJS.Tensor4D, wi as TFJS.Tensor4D, bi),
          )([x, w, b], dy);
        const gOurs = gradsOf(ours);
        const gTheirs = gradsOf(theirs);
        ['x', 'filter', 'bias'].forEach((name, i) =>
          assert.ok(relative(gOurs[i]!, gTheirs[i]!) <= 1e-5, `${name} gradient: ${relative(gOurs[i]!, gTheirs[i]!)}`),
        );
        // w.r.t. x alone (a generator's update through the discriminator): no filter gradient is computed
        const info = await tf.profile(() => tf.grad((xi: TFJS.Tensor) => ours(xi as TFJS.Tensor4D, w, b))(x, dy));
        const names = info.kernels.map((k) => k.name);
        assert.ok(!names.includes('Conv2DBackpropFilter'), names.join());
        if (backend === 'wasm') assert.ok(yOurs.size > 0 && tf.getKernel(CONV2D_BIAS, 'wasm') != null);
        tf.dispose([x, w, b, yOurs, yTheirs, dy, ...gOurs, ...gTheirs, info.result]);
        assert.equal(tf.memory().numTensors, before, 'tensor count');
      });

  it('runs one NdaflowConv2dBias kernel on wasm, no separate Add', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal<TFJS.Rank.R4>([2, 8, 8, 16], 0, 1, 'float32', 1);
    const w = tf.randomNormal<TFJS.Rank.R4>([3, 3, 16, 32], 0, 0.1, 'float32', 2);
    const b = tf.zeros([32]);
    const info = await tf.profile(() => conv2dWithBias(tf, x, w, b, 1, 'same'));
    assert.deepEqual(
      info.kernels.map((k) => k.name),
      [CONV2D_BIAS],
    );
    tf.dispose([x, w, b, info.result]);
  });
});
