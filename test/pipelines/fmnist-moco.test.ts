import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fmnistMoco } from '../../pipelines/fmnist-moco.js';
import { embeddedShards } from '../../pipelines/internal/embedded-shards.js';
import { findPipeline } from '../../pipelines/registry.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import type { Sample } from '../../sources/sample.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Copies the first `n` samples of an embedded Fashion-MNIST split into `dir/<split>-000000.tar`. */
async function fmnistSlice(dir: string, split: 'train' | 'test', n: number): Promise<string> {
  const writer = new ShardWriter(join(dir, `${split}-%06d.tar`));
  let count = 0;
  for await (const s of createLoader<Sample>(fromShards(embeddedShards('fmnist', split)))) {
    await writer.write({ __key__: s.__key__, png: s['png'], cls: s['cls'] });
    if (++count === n) break;
  }
  const [path] = await writer.close();
  return path as string;
}

function lossesOf(runDir: string): number[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { loss: number }).loss);
}

describe('fmnistMoco', () => {
  it('is registered with its NDA choices, and refuses an unknown one before reading anything', async () => {
    assert.equal(findPipeline('fmnist-moco'), fmnistMoco);
    await assert.rejects(
      fmnistMoco.run({ nda: 'shuffle', steps: 1, runDir: join(tempDir(), 'run') }),
      /nda must be one of none, jigsaw, stitch, mixup, cutout, cutmix, shift, noise: current value is "?shuffle/,
    );
  });

  it('trains MoCo + jigsaw NDA, probes the frozen encoder on the test split, and writes the run folder; nothing lost', async () => {
    const dir = tempDir();
    const shards = await fmnistSlice(dir, 'train', 24);
    await fmnistSlice(dir, 'test', 16);
    const runDir = join(dir, 'run');
    const r = await fmnistMoco.run({
      shards,
      nda: 'jigsaw',
      steps: 2,
      seed: 1,
      backend: 'wasm',
      batchSize: 8,
      shuffle: 0,
      runDir,
    });
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    assert.equal(config.nda, 'jigsaw');
    assert.equal(config.ndaPerQuery, 1);
    assert.deepEqual(config.testShards, [join(dir, 'test-000000.tar')]);
    const losses = lossesOf(runDir);
    assert.equal(losses.length, 2);
    assert.ok(losses.every((l) => Number.isFinite(l) && l > 0));
    const evals = readFileSync(join(runDir, 'eval.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(evals.length, 1);
    assert.equal(evals[0].label, 'class');
    assert.equal(evals[0].trainSamples, 24);
    assert.equal(evals[0].testSamples, 16);
    assert.ok(evals[0].top1 >= 0 && evals[0].top1 <= 1);
    assert.equal(r.results?.['probe_class_top1'], Math.round(evals[0].top1 * 10_000) / 10_000);
    assert.ok(existsSync(join(runDir, 'report.html')));
    assert.equal(r.accounting.lost, 0);
    assert.equal(r.batches, 2);
  });

  it('resumes: 1 step, then --resume to 2, gives the losses of 2 steps straight', async () => {
    const dir = tempDir();
    const shards = await fmnistSlice(dir, 'train', 24);
    await fmnistSlice(dir, 'test', 8);
    const common = {
      shards,
      nda: 'cutout',
      seed: 3,
      backend: 'wasm',
      batchSize: 8,
      shuffle: 8,
      evaluate: false,
    } as const;
    const straight = join(dir, 'straight');
    await fmnistMoco.run({ ...common, steps: 2, runDir: straight });
    const resumed = join(dir, 'resumed');
    await fmnistMoco.run({ ...common, steps: 1, runDir: resumed });
    await assert.rejects(
      fmnistMoco.run({ runDir: resumed, resume: true, steps: 2, nda: 'mixup' }),
      /resume keeps the run's nda "cutout"/,
    );
    await fmnistMoco.run({ runDir: resumed, resume: true, steps: 2 });
    const a = lossesOf(straight);
    const b = lossesOf(resumed);
    assert.equal(b.length, 2);
    assert.ok(
      Math.abs((a[0] as number) - (b[0] as number)) < 1e-5 && Math.abs((a[1] as number) - (b[1] as number)) < 1e-5,
      `straight ${a.join(',')} vs resumed ${b.join(',')}`,
    );
  });

  it('keeps a checkpoint of the step it stopped at when aborted, and resumes from it', async () => {
    const dir = tempDir();
    const shards = await fmnistSlice(dir, 'train', 24);
    await fmnistSlice(dir, 'test', 8);
    const runDir = join(dir, 'run');
    const controller = new AbortController();
    const r = await fmnistMoco.run(
      {
        shards,
        nda: 'stitch',
        seed: 5,
        backend: 'wasm',
        batchSize: 8,
        shuffle: 0,
        steps: 8,
        runDir,
      },
      {
        signal: controller.signal,
        onTrainingStep: () => controller.abort(),
      },
    );
    assert.equal(r.aborted, true);
    assert.equal(r.details?.['steps'], 1);
    assert.equal(readFileSync(join(runDir, 'latest'), 'utf8').trim(), 'step-000001');
    const resumed = await fmnistMoco.run({ runDir, resume: true, steps: 2, evaluate: false });
    assert.equal(resumed.details?.['steps'], 2);
    assert.equal(lossesOf(runDir).length, 2);
  });
});
