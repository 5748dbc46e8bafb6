import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as TFJS from '@tensorflow/tfjs';
import { fmnistGan } from '../../../pipelines/fmnist-gan.js';
import { trainNdaGan } from '../../../sinks/gan/gan-trainer.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { createGan } from '../../../sinks/gan/create-gan.js';
import { checkGanStepFitsWasmHeap, estimateGanStepHeapBytes } from '../../../sinks/gan/wasm-heap-check.js';
import { wasmWithCpu } from '../../helpers/wasm-with-cpu.js';

describe('the wasm heap check of a GAN training step', () => {
  let tf: typeof TFJS;
  before(async () => {
    tf = await wasmWithCpu(1);
  });

  it("estimates 2.5 x the bytes of one D update's layer outputs (3n through D, n through G) + 16 bytes a parameter", () => {
    const generator = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 12 })] }); // 60 parameters
    const discriminator = tf.sequential({
      layers: [tf.layers.flatten({ inputShape: [2, 2, 3] }), tf.layers.dense({ units: 1 })], // 12 + 1 outputs, 13 parameters
    });
    const models = { generator, discriminator };
    // per image: 3 * 13 + 12 = 51 floats; 2.5 * 4 bytes * 10 images * 51 + 16 * 73
    assert.equal(estimateGanStepHeapBytes(models, 10), 2.5 * 4 * 10 * 51 + 16 * 73);
    assert.equal(estimateGanStepHeapBytes(models, 0), 16 * 73);
    generator.dispose();
    discriminator.dispose();
  });

  it("refuses the paper's BigGAN-32 (ch 64) at batch 64 on wasm, naming the estimate and the largest batch; takes batch 32 and any batch elsewhere", async () => {
    await tf.setBackend('wasm');
    const models = createGan(tf, 'biggan', { z: 128, ch: 64, size: 32, channels: 3, seed: 1 });
    try {
      assert.throws(
        () => checkGanStepFitsWasmHeap(tf, models, 64, 'run cifar10-gan'),
        (error: Error) => {
          assert.ok(error instanceof RangeError);
          assert.match(
            error.message,
            /^Cannot run cifar10-gan as a training step at this batch size needs an estimated 5\.\d GB of the wasm backend's heap, which stops at 4\.3 GB \(a step past it hangs\): use a batch size of at most 4\d, a smaller width \(ch\), or the tensorflow or tensorflow-gpu backend \(tfjs-node\): current value is 64$/,
          );
          return true;
        },
      );
      // measured: 2.56 GB of heap after one step at batch 32
      assert.doesNotThrow(() => checkGanStepFitsWasmHeap(tf, models, 32, 'run cifar10-gan'));
      await tf.setBackend('cpu');
      assert.doesNotThrow(() => checkGanStepFitsWasmHeap(tf, models, 64, 'run cifar10-gan'));
    } finally {
      await tf.setBackend('wasm');
      models.generator.dispose();
      models.discriminator.dispose();
    }
  });

  it('a GAN pipeline run on wasm refuses such a batch before its run folder exists', async () => {
    const runDir = join(tempDir(), 'run');
    await assert.rejects(
      fmnistGan.run({
        evaluate: false,
        backend: 'wasm',
        architecture: 'biggan',
        ch: 64,
        batchSize: 64,
        steps: 1,
        runDir,
      }),
      /^RangeError: Cannot run fmnist-gan as a training step at this batch size needs an estimated 5\.\d GB of the wasm backend's heap/,
    );
    assert.equal(existsSync(runDir), false, 'nothing written');
  });

  it('trainNdaGan refuses it at its first batch, before any step', async () => {
    await tf.setBackend('wasm');
    const models = createGan(tf, 'biggan', { z: 128, ch: 64, size: 32, channels: 3, seed: 1 });
    const batch = { data: new Uint8Array(64 * 32 * 32 * 3), shape: [64, 32, 32, 3] as const };
    async function* pairs() {
      yield { real: { image: batch }, negative: { image: batch } };
    }
    try {
      await assert.rejects(
        trainNdaGan(tf, pairs(), { models, steps: 1, seed: 1, ema: false }),
        /^RangeError: Cannot train an NDA-GAN as a training step at this batch size needs an estimated 5\.\d GB/,
      );
    } finally {
      models.generator.dispose();
      models.discriminator.dispose();
    }
  });
});
