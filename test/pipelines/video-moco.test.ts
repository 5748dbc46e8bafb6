import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kineticsVideoMoco } from '../../pipelines/kinetics-video-moco.js';
import { movingFmnistVideoMoco } from '../../pipelines/moving-fmnist-video-moco.js';
import { findPipeline } from '../../pipelines/registry.js';
import { ucf101VideoMoco } from '../../pipelines/ucf101-video-moco.js';
import { convertMovingFmnist } from '../../sources/datasets/moving-fmnist.js';
import { FASHION_MNIST_DEBIAN_ROOT } from '../../sources/datasets/fashion-mnist.js';
import { convertUcf101 } from '../../sources/datasets/ucf101.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeUcf101Tree } from '../helpers/video-trees.js';

describe('video MoCo pipelines', () => {
  it('are registered; UCF101 and Kinetics say how to write their shards when --shards is missing', async () => {
    assert.equal(findPipeline('moving-fmnist-video-moco'), movingFmnistVideoMoco);
    assert.equal(findPipeline('ucf101-video-moco'), ucf101VideoMoco);
    assert.equal(findPipeline('kinetics-video-moco'), kineticsVideoMoco);
    await assert.rejects(
      ucf101VideoMoco.run({ steps: 1, runDir: join(tempDir(), 'run') }),
      /needs the UCF101 shards: write them with `ndaflow prepare ucf101/,
    );
    await assert.rejects(
      kineticsVideoMoco.run({ steps: 1, runDir: join(tempDir(), 'run') }),
      /needs the Kinetics shards: write them with `ndaflow prepare kinetics/,
    );
    await assert.rejects(
      movingFmnistVideoMoco.run({ nda: 'jumble', steps: 1 }),
      /nda must be one of none, shuffle, reverse, splice, static, jigsaw/,
    );
  });

  it(
    'trains video MoCo + temporal NDA on Moving-Fashion-MNIST shards and probes class and direction; nothing lost',
    {
      skip:
        !existsSync(FASHION_MNIST_DEBIAN_ROOT) &&
        `needs ${FASHION_MNIST_DEBIAN_ROOT} (apt-get install dataset-fashion-mnist)`,
    },
    async () => {
      const dir = tempDir();
      await convertMovingFmnist({ out: dir, train: 8, test: 4, frames: 16, seed: 3 });
      const runDir = join(dir, 'run');
      const r = await movingFmnistVideoMoco.run({
        shards: join(dir, 'train-000000.tar'),
        nda: 'reverse',
        steps: 2,
        seed: 1,
        backend: 'wasm',
        batchSize: 4,
        shuffle: 0,
        runDir,
      });
      const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
      assert.equal(config.nda, 'reverse');
      assert.deepEqual(config.testShards, [join(dir, 'test-000000.tar')]);
      assert.equal(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
      const evals = readFileSync(join(runDir, 'eval.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        evals.map((e) => [e.label, e.trainSamples, e.testSamples]),
        [
          ['class', 8, 4],
          ['direction', 8, 4],
        ],
      );
      assert.ok(evals.every((e) => e.top1 >= 0 && e.top1 <= 1));
      assert.equal(r.accounting.lost, 0);
      assert.equal(r.batches, 2);
    },
  );

  it('trains ucf101-video-moco on shards that `prepare ucf101` wrote from a tree in the official layout', async () => {
    const dir = tempDir();
    const tree = makeUcf101Tree(dir);
    const out = join(dir, 'shards');
    await convertUcf101({ root: tree.root, split: 1, out });
    const runDir = join(dir, 'run');
    const r = await ucf101VideoMoco.run({
      shards: join(out, 'train-000000.tar'),
      steps: 1,
      seed: 2,
      backend: 'wasm',
      batchSize: 2,
      shuffle: 0,
      runDir,
    });
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    assert.equal(config.nda, 'shuffle');
    const evals = readFileSync(join(runDir, 'eval.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      evals.map((e) => [e.label, e.trainSamples, e.testSamples]),
      [['class', tree.folds[1]!.train.length, tree.folds[1]!.test.length]],
    );
    assert.equal(r.accounting.lost, 0);
  });
});
