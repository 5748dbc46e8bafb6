import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TF from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../sinks/backend/index.js';
import { simdTeamOf } from '../../../sinks/backend/simd/backend-simd-team.js';
import { createAdam } from '../../../sinks/backend/fused-adam.js';
import { seededValues } from '../../helpers/seeded-values.js';

// With one thread the wasm backend is the package's single-threaded build, whose heap is not a shared
// memory: no SIMD team, and every kernel that would use one takes its other path.

describe('the wasm kernels without a SIMD team (one thread)', () => {
  let tf: typeof TF;
  before(async () => {
    tf = (await selectBackend({ backend: 'wasm', threads: 1 })).tf;
    await import('@tensorflow/tfjs-backend-cpu');
  });

  it('has no team, and Conv2D, its filter gradient, upsampling and Adam still match the cpu backend', async () => {
    await tf.setBackend('wasm');
    assert.equal(simdTeamOf(tf.backend()), null);
    const run = async (backend: string): Promise<number[][]> => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(seededValues(2 * 8 * 8 * 6, 1), [2, 8, 8, 6]);
      const w = tf.tensor4d(seededValues(3 * 3 * 6 * 16, 2), [3, 3, 6, 16]);
      const y = tf.conv2d(x, w, 2, 'same');
      const dw = tf.grad((f) => tf.conv2d(x, f as TF.Tensor4D, 2, 'same').sum())(w);
      const up = tf.image.resizeNearestNeighbor(x, [16, 16]);
      const v = tf.variable(tf.tensor1d(seededValues(40, 3)), true, `single-${backend}-${Math.random()}`);
      const adam = createAdam(tf, 1e-2, 0.9, 0.99);
      adam.applyGradients([{ name: v.name, tensor: tf.tensor1d(seededValues(40, 4)) }]);
      const out = [y, dw, up, v].map((t) => Array.from(t.dataSync()));
      tf.dispose([x, w, y, dw, up, v]);
      adam.dispose();
      return out;
    };
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    wasm.forEach((a, k) => {
      assert.equal(a.length, cpu[k]!.length);
      a.forEach((v, i) =>
        assert.ok(Math.abs(v - cpu[k]![i]!) <= 1e-4 * Math.max(1, Math.abs(cpu[k]![i]!)), `output ${k}[${i}]`),
      );
    });
  });
});
