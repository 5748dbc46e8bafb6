import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cifar10Gan } from '../../pipelines/cifar10-gan.js';
import { findPipeline } from '../../pipelines/registry.js';
import { convertCifar } from '../../sources/datasets/cifar.js';
import { writeCifar10 } from '../datasets/cifar-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('cifar10Gan', () => {
  it('is registered, and says how to get the data when the default shards are missing', async () => {
    assert.equal(findPipeline('cifar10-gan'), cifar10Gan);
    await assert.rejects(
      cifar10Gan.run({ steps: 1, runDir: join(tempDir(), 'run') }),
      /ndaflow prepare cifar10 cifar-10-binary\.tar\.gz.*or pass --shards/,
    );
  });

  it('trains the 3-channel NDA-GAN on shards that `prepare cifar10` wrote: config, metrics, report; nothing lost', async () => {
    const dir = tempDir();
    const tarball = join(dir, 'cifar-10-binary.tar.gz');
    writeCifar10(tarball, 4);
    await convertCifar('cifar10', tarball, { out: join(dir, 'shards'), splits: ['train'] });
    const runDir = join(dir, 'run');
    const r = await cifar10Gan.run({
      shards: join(dir, 'shards', 'train-000000.tar'),
      nda: 'cutmix',
      steps: 1,
      seed: 1,
      backend: 'wasm',
      batchSize: 4,
      shuffle: 0,
      runDir,
    });
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    assert.equal(config.channels, 3);
    assert.equal(config.testShards, null, 'no in-domain classifier for CIFAR: no FID');
    assert.equal(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 1);
    assert.ok(existsSync(join(runDir, 'samples-step-000001.png')));
    assert.ok(existsSync(join(runDir, 'report.html')));
    assert.equal(existsSync(join(runDir, 'eval.jsonl')), false);
    assert.equal(r.accounting.lost, 0);
    assert.equal(r.batches, 4);
  });
});
