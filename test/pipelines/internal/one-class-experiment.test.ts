import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as TFJS from '@tensorflow/tfjs';
import { fmnistAnomaly } from '../../../pipelines/fmnist-anomaly.js';
import { embeddedShards } from '../../../pipelines/internal/embedded-shards.js';
import { oneClassExperiment } from '../../../pipelines/internal/one-class-experiment.js';
import { PipelineError } from '../../../pipelines/pipeline-error.js';
import { selectBackend } from '../../../sinks/backend/index.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

describe('oneClassExperiment', () => {
  it('fails (PipelineError, nothing written) when the training shards hold less than a batch of the class', async () => {
    const tf = await getTf();
    const runDir = join(tempDir(), 'run');
    const before = tf.memory().numTensors;
    await assert.rejects(
      oneClassExperiment(tf, {
        normalClass: 4,
        seed: 1,
        steps: 1,
        batchSize: 2000,
        shuffle: 0,
        trainShards: embeddedShards('fmnist', 'train'),
        testShards: embeddedShards('fmnist', 'test'),
        runDir,
      }),
      (e: unknown) => {
        assert.ok(e instanceof PipelineError);
        assert.match(String(e.cause instanceof Error ? e.cause : e), /fewer than one batch of 2000/);
        return true;
      },
    );
    assert.equal(existsSync(join(runDir, 'anomaly.json')), false);
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects bad options before reading anything', async () => {
    const tf = await getTf();
    const base = { normalClass: 0, seed: 1, trainShards: 'a', testShards: 'b' };
    await assert.rejects(oneClassExperiment(tf, { ...base, normalClass: -1 }), RangeError);
    await assert.rejects(
      oneClassExperiment(tf, { ...base, corruptions: ['fog'] }),
      /create a corruption as the name must be one of/,
    );
    await assert.rejects(oneClassExperiment(tf, { ...base, testShards: '' }), /testShards must be a shard spec/);
  });

  it('fmnist-anomaly derives the test shards from --shards (train -> test in the file names)', async () => {
    const dir = embeddedShards('fmnist', 'train')[0]!.replace(/train-000000\.tar\.gz$/, '');
    const runDir = join(tempDir(), 'run');
    const r = await fmnistAnomaly.run({
      normalClass: 1,
      nda: 'none',
      steps: 1,
      seed: 3,
      backend: 'wasm',
      batchSize: 4,
      shuffle: 0,
      shards: `${dir}train-{000000..000001}.tar.gz`,
      runDir,
    });
    // the two embedded test shards hold the 1000 test images
    assert.equal(r.details?.testSamples, 1000);
    assert.equal(r.accounting.lost, 0);
  });
});
