import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fmnistClassifier } from '../../pipelines/fmnist-classifier.js';
import { embeddedShards } from '../../pipelines/internal/embedded-shards.js';
import { findPipeline } from '../../pipelines/registry.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('fmnistClassifier', () => {
  it('is registered as fmnist-classifier', () => {
    assert.equal(findPipeline('fmnist-classifier'), fmnistClassifier);
  });

  it('trains on the given shards, scores the test shards beside them and saves the model', async () => {
    // 250 embedded test images, laid out as `prepare fashion-mnist` would: train-000000 and test-000000
    const dir = tempDir();
    const small = embeddedShards('fmnist', 'test')[1]!;
    copyFileSync(small, join(dir, 'train-000000.tar.gz'));
    copyFileSync(small, join(dir, 'test-000000.tar.gz'));
    const runDir = join(dir, 'run');
    const lines: string[] = [];
    const r = await fmnistClassifier.run(
      {
        shards: join(dir, 'train-{000000..000000}.tar.gz'),
        seed: 1,
        backend: 'wasm',
        batchSize: 50,
        runDir,
      },
      {
        log: (l) => lines.push(l),
      },
    );
    assert.equal(r.samples, 250);
    assert.equal(r.batches, 5);
    assert.equal(r.details?.trainSteps, 5);
    assert.equal(r.details?.testSamples, 250);
    const accuracy = r.results?.testAccuracy as number;
    assert.ok(accuracy >= 0 && accuracy <= 1);
    assert.ok(lines.some((l) => /^test accuracy: [\d.]+% on 250 images$/.test(l)));
    assert.ok(existsSync(join(runDir, 'classifier', 'model.json')));
    assert.ok(existsSync(join(runDir, 'classifier', 'weights.bin')));
    assert.equal(r.accounting.lost, 0);
  });

  it('rejects shards whose folder holds no test shard, and bad options, before training', async () => {
    const dir = tempDir();
    await assert.rejects(
      fmnistClassifier.run({ shards: join(dir, 'train-000000.tar'), seed: 1 }),
      /Cannot run fmnist-classifier as the folder of the training shards .* must hold test-NNNNNN/,
    );
    await assert.rejects(
      fmnistClassifier.run({ shards: 'https://example.com/train-{0..1}.tar', seed: 1 }),
      /must be local files/,
    );
    await assert.rejects(fmnistClassifier.run({ epochs: 0, seed: 1 }), RangeError);
  });
});
