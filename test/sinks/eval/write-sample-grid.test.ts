import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { join } from 'node:path';
import sharp from 'sharp';
import { selectBackend } from '../../../sinks/backend/index.js';
import { writeSampleGrid } from '../../../sinks/eval/write-sample-grid.js';
import { deriveSeed } from '../../../sources/random.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function loadTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'cpu' });
  return await import('@tensorflow/tfjs');
}

describe('writeSampleGrid', () => {
  it('writes rows x cols generated images as a PNG, the same for one seed, with flat tensor counts', async () => {
    const tf = await loadTf();
    const generator = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [3],
          units: 16,
          activation: 'tanh',
          kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
        }),
        tf.layers.reshape({ targetShape: [4, 4, 1] }),
      ],
    });
    const dir = tempDir();
    const before = tf.memory().numTensors;
    const a = await writeSampleGrid(tf, generator, join(dir, 'nested', 'a.png'), {
      rows: 2,
      cols: 3,
      seed: 5,
      cell: 8,
    });
    const b = await writeSampleGrid(tf, generator, join(dir, 'b.png'), { rows: 2, cols: 3, seed: 5, cell: 8 });
    const c = await writeSampleGrid(tf, generator, join(dir, 'c.png'), { rows: 2, cols: 3, seed: 6, cell: 8 });
    assert.equal(tf.memory().numTensors, before);
    // 2 px gutters around cells of 8 px (4 px images enlarged x2)
    assert.equal(a.width, 2 + 3 * (8 + 2));
    assert.equal(a.height, 2 + 2 * (8 + 2));
    const meta = await sharp(a.path).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, a.width);
    const pixels = async (p: string) => await sharp(p).raw().toBuffer();
    const pa = await pixels(a.path);
    assert.deepEqual(pa, await pixels(b.path));
    assert.notDeepEqual(pa, await pixels(c.path));
    // the image bytes match the generator's output mapped from [-1, 1]
    const out = tf.tidy(
      () => generator.predict(tf.randomNormal([6, 3], 0, 1, 'float32', deriveSeed(5, 'sample-grid'))) as TFJS.Tensor,
    );
    const values = await out.data();
    out.dispose();
    assert.equal(pa[0], 255, 'white gutter');
    const byte = (v: number) => Math.min(255, Math.max(0, Math.round((v + 1) * 127.5)));
    // image 0's pixel (0, 0) fills the 2x2 block at (2, 2); image 4 (row 1, col 1) pixel (1, 3) at (12 + 6, 12 + 2)
    assert.equal(pa[(2 * a.width + 2) * 3], byte(values[0]!));
    assert.equal(pa[(3 * a.width + 3) * 3], byte(values[0]!));
    assert.equal(pa[((12 + 2) * a.width + 12 + 6) * 3 + 1], byte(values[4 * 16 + 1 * 4 + 3]!));
    generator.dispose();
    await assert.rejects(writeSampleGrid(tf, generator, '', {}), TypeError);
    await assert.rejects(
      writeSampleGrid(tf, generator, join(dir, 'x.png'), { rows: 0 }),
      /Cannot write a sample grid as rows/,
    );
  });

  it('draws class r on row r for a class-conditional generator', async () => {
    const tf = await loadTf();
    const { createDcgan } = await import('../../../sinks/gan/dcgan.js');
    const { generator, discriminator } = createDcgan(tf, { z: 4, ch: 2, size: 8, channels: 1, classes: 3, seed: 1 });
    const dir = tempDir();
    const before = tf.memory().numTensors;
    const grid = await writeSampleGrid(tf, generator, join(dir, 'g.png'), { rows: 3, cols: 2, seed: 1, cell: 8 });
    assert.equal(tf.memory().numTensors, before);
    const pixels = await sharp(grid.path).raw().toBuffer();
    // row r is class r: the same latents with labels [0, 0, 1, 1, 2, 2]
    const out = tf.tidy(() => {
      const z = tf.randomNormal([6, 4], 0, 1, 'float32', deriveSeed(1, 'sample-grid'));
      return generator.predict([z, tf.tensor2d([0, 0, 1, 1, 2, 2], [6, 1], 'int32')]) as TFJS.Tensor;
    });
    const values = await out.data();
    out.dispose();
    const byte = (v: number) => Math.min(255, Math.max(0, Math.round((v + 1) * 127.5)));
    // image 2 (row 1, col 0) pixel (0, 0) sits at (2, 12)
    assert.equal(pixels[(12 * grid.width + 2) * 3], byte(values[2 * 64]!));
    generator.dispose();
    discriminator.dispose();
  });
});
