import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { BEST_FOLDER, keepBestCheckpoint, readBestCheckpoint } from '../../../sinks/checkpoint/best-checkpoint.js';
import { loadCheckpoint } from '../../../sinks/checkpoint/load-checkpoint.js';
import { createDcgan } from '../../../sinks/gan/dcgan.js';
import { GeneratorEma } from '../../../sinks/gan/generator-ema.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function loadTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'cpu' });
  return await import('@tensorflow/tfjs');
}

function build(tf: typeof TFJS) {
  const models = createDcgan(tf, { z: 8, ch: 4, size: 8, seed: 1 });
  const optimizers = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };
  const ema = new GeneratorEma(tf, models.generator, { decay: 0.9, start: 1 });
  const dispose = () => {
    ema.dispose();
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
    models.generator.dispose();
    models.discriminator.dispose();
  };
  return { parts: { models, optimizers, ema }, models, dispose };
}

/** Sets every weight of both networks to `value`, so a loaded checkpoint says which step it was. */
function mark(tf: typeof TFJS, models: ReturnType<typeof build>['models'], value: number): void {
  for (const model of [models.generator, models.discriminator]) {
    const filled = model.weights.map((w) => tf.fill(w.shape as number[], value));
    model.setWeights(filled);
    tf.dispose(filled);
  }
}

describe('keepBestCheckpoint', () => {
  it('keeps the checkpoint of each FID lower than the best so far, one at a time, with best.json; a resumed run compares with it', async () => {
    const tf = await loadTf();
    const run = build(tf);
    const dir = tempDir();
    try {
      assert.equal(await readBestCheckpoint(dir), null);
      // the official --which_best FID: a copy whenever FID < best_FID (equal is no improvement)
      const fids = [50, 40, 45, 30, 30, 31];
      const kept: number[] = [];
      for (const [i, fid] of fids.entries()) {
        const step = (i + 1) * 100;
        mark(tf, run.models, step);
        const record = await keepBestCheckpoint(tf, dir, { ...run.parts, step, fid, extra: { kid: fid / 1000 } });
        if (record !== null) {
          kept.push(step);
          assert.deepEqual(record, { kid: fid / 1000, step, fid });
        }
      }
      assert.deepEqual(kept, [100, 200, 400]);
      assert.deepEqual(await readBestCheckpoint(dir), { kid: 0.03, step: 400, fid: 30 });
      assert.deepEqual(JSON.parse(readFileSync(join(dir, BEST_FOLDER, 'best.json'), 'utf8')).step, 400);
      assert.deepEqual(
        readdirSync(join(dir, BEST_FOLDER))
          .filter((n) => n.startsWith('step-'))
          .sort(),
        ['step-000400'],
        'the checkpoints it replaced are removed',
      );
      // what best/ holds is the checkpoint of step 400: every weight 400
      const fresh = build(tf);
      try {
        const loaded = await loadCheckpoint(tf, join(dir, BEST_FOLDER), fresh.parts);
        assert.equal(loaded.step, 400);
        for (const w of [...fresh.models.generator.weights, ...fresh.models.discriminator.weights])
          assert.ok(
            (w.read().dataSync() as Float32Array).every((v) => v === 400),
            w.name,
          );
      } finally {
        fresh.dispose();
      }
      // resumed (nothing in memory): the record decides, 35 is no improvement, 20 is
      mark(tf, run.models, 700);
      assert.equal(await keepBestCheckpoint(tf, dir, { ...run.parts, step: 700, fid: 35 }), null);
      assert.equal((await readBestCheckpoint(dir))?.step, 400);
      assert.deepEqual(await keepBestCheckpoint(tf, dir, { ...run.parts, step: 800, fid: 20 }), { step: 800, fid: 20 });
      assert.ok(
        existsSync(join(dir, BEST_FOLDER, 'step-000800')) && !existsSync(join(dir, BEST_FOLDER, 'step-000400')),
      );
      await assert.rejects(
        keepBestCheckpoint(tf, dir, { ...run.parts, step: 900, fid: Number.NaN }),
        /Cannot keep the best checkpoint as fid must be a finite number/,
      );
    } finally {
      run.dispose();
    }
  });
});
