import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { scoreOodSets } from '../../../sinks/anomaly/anomaly-report.js';
import { auroc } from '../../../sinks/anomaly/auroc.js';
import { buildOodSets } from '../../../sinks/anomaly/ood-sets.js';
import { scoreImages } from '../../../sinks/anomaly/score-images.js';
import { createDcgan } from '../../../sinks/gan/dcgan.js';
import { Random } from '../../../sources/random.js';
import type { ImageBatch } from '../../../sources/sample.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

function images(n: number): ImageBatch {
  const rng = Random.derive(4, 'report');
  const data = new Uint8Array(n * 8 * 8);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
  return { data, shape: [n, 8, 8, 1] };
}

describe('scoreOodSets', () => {
  it('one row per set (in-distribution positive) and a mean row; tensor count flat', async () => {
    const tf = await getTf();
    const { generator, discriminator } = createDcgan(tf, { z: 8, ch: 4, size: 8, channels: 1, seed: 2 });
    try {
      const test = images(6);
      const sets = buildOodSets(test, { nda: ['jigsaw'], corruptions: ['contrast'], seed: 1 });
      const before = tf.memory().numTensors;
      const rows = await scoreOodSets(tf, discriminator, test, sets, { batchSize: 4 });
      assert.equal(tf.memory().numTensors, before);
      assert.deepEqual(
        rows.map((r) => r.set),
        ['nda/jigsaw', 'corruption/contrast', 'mean'],
      );
      const inScores = (await scoreImages(tf, discriminator, test)).scores;
      for (const [i, set] of sets.entries()) {
        const ood = (await scoreImages(tf, discriminator, set.images)).scores;
        const expected = auroc([...inScores, ...ood], [...inScores].map(() => 1).concat([...ood].map(() => 0)));
        assert.equal(rows[i]!.auroc, expected);
        assert.equal(rows[i]!.n, 6);
        assert.equal(rows[i]!.nIn, 6);
      }
      assert.equal(rows[2]!.auroc, (rows[0]!.auroc + rows[1]!.auroc) / 2);
      assert.equal(rows[2]!.n, 12);
      // precomputed in-distribution scores give the same rows
      assert.deepEqual(await scoreOodSets(tf, discriminator, inScores, sets), rows);
      // the identical set is indistinguishable: AUROC 0.5
      const same = await scoreOodSets(tf, discriminator, test, [{ name: 'same', images: test }]);
      assert.equal(same[0]!.auroc, 0.5);
    } finally {
      generator.dispose();
      discriminator.dispose();
    }
  });

  it('rejects a bad set list', async () => {
    const tf = await getTf();
    const { generator, discriminator } = createDcgan(tf, { z: 8, ch: 4, size: 8, channels: 1, seed: 2 });
    try {
      await assert.rejects(scoreOodSets(tf, discriminator, images(2), [{ images: images(2) } as never]), TypeError);
    } finally {
      generator.dispose();
      discriminator.dispose();
    }
  });
});
