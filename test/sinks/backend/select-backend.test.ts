import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../sinks/backend/index.js';

describe('selectBackend', () => {
  it('validates its options', async () => {
    await assert.rejects(
      selectBackend({ backend: 'gpu' as never }),
      /Cannot select the TF.js backend as backend must be one of/,
    );
    await assert.rejects(selectBackend({ threads: 0 }), RangeError);
    await assert.rejects(selectBackend({ threads: 1.5 }), RangeError);
    await assert.rejects(selectBackend({ threads: 9 }), RangeError);
  });

  it('forced tensorflow: runs where tfjs-node installed, else names why it is unavailable', async () => {
    let present = true;
    try {
      // A string variable, so TypeScript does not resolve (and require types for) an optional package.
      const optional: string = '@tensorflow/tfjs-node';
      await import(optional);
    } catch {
      present = false;
    }
    if (present) {
      // a machine where it installed: forcing it must give it, and it must compute
      const chosen = await selectBackend({ backend: 'tensorflow' });
      assert.equal(chosen.name, 'tensorflow');
      assert.equal(chosen.reason, 'forced');
      assert.equal(chosen.tf.getBackend(), 'tensorflow');
      assert.deepEqual(Array.from(await chosen.tf.add(chosen.tf.tensor1d([1, 2]), 3).data()), [4, 5]);
      return;
    }
    await assert.rejects(
      selectBackend({ backend: 'tensorflow' }),
      /Cannot use the tensorflow backend as it is unavailable: tensorflow: package not installed/,
    );
  });

  it('forces cpu', async () => {
    const chosen = await selectBackend({ backend: 'cpu' });
    assert.equal(chosen.name, 'cpu');
    assert.equal(chosen.reason, 'forced');
    assert.equal(chosen.tf.getBackend(), 'cpu');
  });

  it('runs wasm with two threads in Node and keeps its results right', async () => {
    const chosen = await selectBackend({ backend: 'wasm', threads: 2 });
    const tf = chosen.tf;
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(chosen.threads, 2);
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]);
    const c = tf.matMul(a, b);
    assert.deepEqual([...c.dataSync()], [4, 5, 10, 11]);
    tf.dispose([a, b, c]);
  });

  it('picks the first available backend when none is forced and says why', async () => {
    const chosen = await selectBackend({ threads: 1 });
    assert.ok(['tensorflow-gpu', 'tensorflow', 'wasm'].includes(chosen.name));
    if (chosen.name === 'wasm') {
      assert.deepEqual(
        chosen.failed.map((f) => f.name),
        ['tensorflow-gpu', 'tensorflow'],
      );
      assert.match(chosen.reason, /^fallback \(tensorflow-gpu: .*; tensorflow: .*\)$/);
    }
  });

  it('trains on wasm: gradients are registered and a conv filter gradient matches the cpu backend', async () => {
    const grad = async (backend: 'cpu' | 'wasm') => {
      const chosen = await selectBackend({ backend, threads: 2 });
      assert.equal(chosen.gradients, true, 'the gradient functions of @tensorflow/tfjs are registered');
      const tf = chosen.tf;
      const before = tf.memory().numTensors;
      const x = tf.tensor4d(
        Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => Math.sin(i)),
        [2, 9, 9, 3],
      );
      const w = tf.tensor4d(
        Array.from({ length: 4 * 4 * 3 * 5 }, (_, i) => Math.cos(i) / 10),
        [4, 4, 3, 5],
      );
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tf.grads hands over Tensors of any rank; conv2d wants 4-D ones
      const [gx, gw] = tf.grads((a: any, f: any) => tf.conv2d(a, f, 2, 'same').square().sum())([x, w]);
      const out = { gx: [...(await gx!.data())], gw: [...(await gw!.data())] };
      tf.dispose([x, w, gx!, gw!]);
      assert.equal(tf.memory().numTensors, before);
      return out;
    };
    const cpu = await grad('cpu');
    const wasm = await grad('wasm');
    for (const k of ['gx', 'gw'] as const) {
      const scale = Math.max(...cpu[k].map(Math.abs));
      cpu[k].forEach((v, i) =>
        assert.ok(Math.abs(v - (wasm[k][i] as number)) <= 1e-4 * scale, `${k}[${i}]: cpu ${v}, wasm ${wasm[k][i]}`),
      );
    }
  });
});
