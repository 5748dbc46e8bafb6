import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { OOD_PROTOCOL_NDA, oodProtocol } from '../../../sinks/anomaly/ood-protocol.js';
import { selectBackend } from '../../../sinks/backend/index.js';
import { createBigGan } from '../../../sinks/gan/biggan.js';
import type { ImageBatch } from '../../../sources/sample.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

/** D(x) = 2 * mean pixel (x in [-1, 1]): a brighter image is more "in-distribution". */
function meanDiscriminator(tf: typeof TFJS, side: number): TFJS.LayersModel {
  const x = tf.input({ shape: [side, side, 1] });
  const pooled = tf.layers.globalAveragePooling2d({}).apply(x) as TFJS.SymbolicTensor;
  const head = tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.constant({ value: 2 }) });
  return tf.model({ inputs: x, outputs: head.apply(pooled) as TFJS.SymbolicTensor });
}

/** n images of side s, image i filled with values[i]. */
function filled(values: number[], s: number): ImageBatch {
  const data = new Uint8Array(values.length * s * s);
  values.forEach((v, i) => data.fill(v, i * s * s, (i + 1) * s * s));
  return { data, shape: [values.length, s, s, 1] };
}

describe('oodProtocol', () => {
  it('gives the AUROC of each set against the test images, by hand, and their mean', async () => {
    const tf = await getTf();
    const D = meanDiscriminator(tf, 8);
    const before = tf.memory().numTensors;
    const test = filled([200, 210, 220, 230], 8);
    const r = await oodProtocol(
      tf,
      D,
      test,
      [
        { name: 'dark', images: filled([10, 20, 30], 8) }, // every test image scores higher: 1
        { name: 'bright', images: filled([240, 250], 8) }, // every test image scores lower: 0
        { name: 'half', images: filled([205, 235], 8) }, // test > 205: 3 of 4; test > 235: 0 of 4 -> 3/8
      ],
      { nda: ['jigsaw-2', 'jigsaw-16', 'constant'], seed: 1 },
    );
    const byName = Object.fromEntries(r.sets.map((s) => [s.name, s.auroc]));
    assert.equal(byName.dark, 1);
    assert.equal(byName.bright, 0);
    assert.equal(byName.half, 3 / 8);
    // a jigsaw of a flat image is the image: every pair ties
    assert.equal(byName['nda/jigsaw-2'], 0.5);
    // constant images 0, 85, 170, 255: test images beat 3 of 4 each -> 12/16
    assert.equal(byName['nda/constant'], 12 / 16);
    assert.deepEqual(r.skipped, [{ name: 'nda/jigsaw-16', reason: 'k 16 does not divide the 8x8 images' }]);
    assert.equal(r.mean, (1 + 0 + 3 / 8 + 0.5 + 12 / 16) / 5);
    assert.equal(r.n, 4);
    assert.equal(tf.memory().numTensors, before, 'every tensor released');
    D.dispose();
  });

  it('scores every NDA set of the official protocol with a conditional BigGAN discriminator (class 0)', async () => {
    const tf = await getTf();
    const { generator, discriminator } = createBigGan(tf, { ch: 1, size: 16, channels: 3, classes: 3, seed: 2 });
    const data = new Uint8Array(4 * 16 * 16 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
    const before = tf.memory().numTensors;
    const r = await oodProtocol(tf, discriminator, { data, shape: [4, 16, 16, 3] }, [], { seed: 3 });
    assert.deepEqual(
      r.sets.map((s) => s.name),
      OOD_PROTOCOL_NDA.map((n) => `nda/${n}`),
    );
    for (const s of r.sets) assert.ok(s.auroc >= 0 && s.auroc <= 1 && s.n === 4, JSON.stringify(s));
    assert.equal(tf.memory().numTensors, before);
    await assert.rejects(
      oodProtocol(tf, discriminator, { data, shape: [4, 16, 16, 3] }, [], { nda: ['rotate'] }),
      /every nda set must be one of jigsaw-2/,
    );
    await assert.rejects(
      oodProtocol(tf, discriminator, { data, shape: [4, 16, 16, 3] }, [{ name: 'small', images: filled([1], 8) }]),
      /the images of OOD set small must be 16x16x3 like the test images/,
    );
    generator.dispose();
    discriminator.dispose();
  });
});
