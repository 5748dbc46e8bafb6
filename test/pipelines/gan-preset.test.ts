import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cifar100Gan } from '../../pipelines/cifar100-gan.js';
import { fmnistGan } from '../../pipelines/fmnist-gan.js';
import { embeddedShards } from '../../pipelines/internal/embedded-shards.js';
import { PAPER_PRESET, stepsForEpochs } from '../../pipelines/internal/gan-preset.js';
import { shardCensus } from '../../pipelines/internal/shard-census.js';
import { findPipeline } from '../../pipelines/registry.js';
import { convertCifar } from '../../sources/datasets/cifar.js';
import { runCli } from '../cli/cli-helper.js';
import { labels100, writeCifar10, writeCifar100 } from '../datasets/cifar-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

const readConfig = (runDir: string) => JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));

describe('--preset paper', () => {
  it('counts epochs as the official loop: floor(samples / (batch x D steps)) steps each, the last batch dropped', () => {
    assert.equal(stepsForEpochs(50_000, 64, 4, 500), 97_500, "CIFAR's 50,000 images: 195 steps an epoch");
    assert.equal(stepsForEpochs(600, 64, 4, 1), 2);
    assert.equal(stepsForEpochs(100, 64, 4, 500), 500, 'at least one step an epoch');
  });

  it('resolves the official settings on fmnist-gan and records them with the flags given on top (--ch), steps from 500 epochs of the data', async () => {
    const runDir = join(tempDir(), 'run');
    const { samples } = await shardCensus('count', embeddedShards('fmnist', 'train'));
    const r = await fmnistGan.run(
      { preset: 'paper', ch: 1, nda: 'stitch', seed: 1, backend: 'wasm', runDir },
      // stopped before the first step: config.json holds the resolved run, nothing is trained
      { signal: AbortSignal.abort() },
    );
    assert.equal(r.details?.steps, 0);
    const config = readConfig(runDir);
    const perEpoch = Math.floor(samples / (64 * 4));
    assert.ok(perEpoch >= 1);
    assert.deepEqual(
      {
        preset: config.preset,
        presetOverrides: config.presetOverrides,
        architecture: config.architecture,
        ch: config.ch,
        batchSize: config.batchSize,
        dStepsPerG: config.dStepsPerG,
        optimizer: config.optimizer,
        alpha: config.alpha,
        beta: config.beta,
        ema: config.ema,
        augment: config.augment,
        augmentation: config.augmentation,
        ndaOptions: config.ndaOptions,
        epochs: config.epochs,
        samples: config.samples,
        steps: config.steps,
        checkpointEvery: config.checkpointEvery,
        keepCheckpoints: config.keepCheckpoints,
        evaluation: config.evaluation,
        classes: config.classes,
      },
      {
        preset: 'paper',
        presetOverrides: ['--ch'],
        architecture: 'biggan',
        ch: 1,
        batchSize: 64,
        dStepsPerG: 4,
        optimizer: 'adam(2e-4, 0, 0.999)',
        alpha: 0.25,
        beta: 0.75,
        ema: { decay: 0.9999, start: 1000 },
        augment: false,
        augmentation: 'none (centre pad to 32)',
        ndaOptions: { partners: 'official' },
        epochs: 500,
        samples,
        steps: 500 * perEpoch,
        checkpointEvery: 2000,
        keepCheckpoints: 2,
        evaluation: { every: 5000, from: 50 * perEpoch },
        classes: null,
      },
    );
    assert.equal(PAPER_PRESET.ch, 64, "the paper's width when --ch is not given");
  });

  it('cifar100-gan: registered, conditional on as many classes as the labels span, trains a step of the preset with overrides', async () => {
    assert.equal(findPipeline('cifar100-gan'), cifar100Gan);
    const dir = tempDir();
    const tarball = join(dir, 'cifar-100-binary.tar.gz');
    writeCifar100(tarball, 8);
    await convertCifar('cifar100', tarball, { out: join(dir, 'shards'), splits: ['train'] });
    const largest = Math.max(...Array.from({ length: 8 }, (_, r) => labels100(8, r)[1]));
    assert.equal(largest, 95);
    const runDir = join(dir, 'run');
    const lines: string[] = [];
    const r = await cifar100Gan.run(
      {
        preset: 'paper',
        shards: join(dir, 'shards', 'train-000000.tar'),
        ch: 1,
        batchSize: 2,
        steps: 1,
        shuffle: 0,
        seed: 1,
        backend: 'wasm',
        runDir,
      },
      { log: (l) => lines.push(l) },
    );
    assert.equal(r.details?.steps, 1);
    const config = readConfig(runDir);
    assert.equal(config.classes, 96, 'the largest fine label + 1, not a constant 10 (nor 100)');
    assert.equal(config.samples, 8);
    assert.deepEqual(config.presetOverrides, ['--batch-size', '--ch', '--steps']);
    assert.deepEqual([config.architecture, config.augment, config.ndaOptions], ['biggan', false, {}]);
    // 8 samples, batch 2, 4 D steps: one step an epoch, so evaluations from step 50
    assert.deepEqual(config.evaluation, { every: 5000, from: 50 });
    assert.ok(lines.includes('classes: 96 (the largest cls label of the 8 training samples + 1)'), lines.join('\n'));
  });

  it('fmnist-gan --no-crop trains on the images padded in the centre (no augmentation)', async () => {
    const runDir = join(tempDir(), 'run');
    const r = await fmnistGan.run({
      augment: false,
      evaluate: false,
      steps: 1,
      batchSize: 4,
      shuffle: 0,
      seed: 1,
      backend: 'wasm',
      runDir,
    });
    assert.equal(r.details?.steps, 1);
    assert.equal(r.accounting.lost, 0);
    assert.deepEqual([readConfig(runDir).augment, readConfig(runDir).augmentation], [false, 'none (centre pad to 32)']);
  });

  it('refuses --conditional on shards without labels, naming a sample', async () => {
    const dir = tempDir();
    const { ShardWriter } = await import('../../sources/shard-writer.js');
    const writer = new ShardWriter(join(dir, 'x-%06d.tar'));
    await writer.write({ __key__: 'a', txt: 'no label' });
    await writer.close();
    await assert.rejects(
      fmnistGan.run({
        conditional: true,
        shards: join(dir, 'x-000000.tar'),
        evaluate: false,
        steps: 1,
        seed: 1,
        runDir: join(dir, 'run'),
      }),
      /--conditional needs an integer cls label on every training sample: current value is "sample a has none"/,
    );
  });

  it('the CLI: --preset paper on cifar10-gan, --flip over it recorded as an override', async () => {
    const dir = tempDir();
    const tarball = join(dir, 'cifar-10-binary.tar.gz');
    writeCifar10(tarball, 4);
    await convertCifar('cifar10', tarball, { out: join(dir, 'shards'), splits: ['train'] });
    const runDir = join(dir, 'run');
    const r = await runCli([
      'run',
      'cifar10-gan',
      '--preset',
      'paper',
      '--flip',
      '--ch',
      '1',
      '--batch-size',
      '2',
      '--steps',
      '1',
      '--shuffle',
      '0',
      '--seed',
      '2',
      '--backend',
      'wasm',
      '--shards',
      join(dir, 'shards', 'train-000000.tar'),
      '--run-dir',
      runDir,
      '--no-progress',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const config = readConfig(runDir);
    assert.deepEqual(config.presetOverrides, ['--batch-size', '--ch', '--flip', '--steps']);
    assert.deepEqual([config.augment, config.augmentation, config.classes], [true, 'random horizontal flip', null]);
    const help = await runCli(['run', 'cifar100-gan', '--help']);
    assert.match(help.stdout, /--preset <name>.*paper/s);
    assert.match(help.stdout, /--partners <name>/);
    assert.match(help.stdout, /--eval-every <int>/);
  });
});

describe('--eval-every and the best-FID checkpoint', () => {
  it('evaluates every N steps and at the end, keeps the best FID in best/, and a resumed run keeps comparing with it', async () => {
    const runDir = join(tempDir(), 'run');
    const base = { evalEvery: 1, batchSize: 4, shuffle: 0, seed: 5, backend: 'wasm' as const, runDir };
    const lines: string[] = [];
    await fmnistGan.run({ ...base, steps: 2 }, { log: (l) => lines.push(l) });
    const rows = () =>
      readFileSync(join(runDir, 'eval.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { step: number; fid: number });
    assert.deepEqual(
      rows().map((r) => r.step),
      [1, 2],
      'step 1 by --eval-every, step 2 at the end',
    );
    const bestOf = (list: { step: number; fid: number }[]) => list.reduce((a, b) => (b.fid < a.fid ? b : a));
    const best = JSON.parse(readFileSync(join(runDir, 'best', 'best.json'), 'utf8'));
    assert.deepEqual([best.step, best.fid], [bestOf(rows()).step, bestOf(rows()).fid]);
    assert.ok(
      lines.some((l) => l.startsWith('best FID so far: the checkpoint of step 1 kept in')),
      lines.join('\n'),
    );
    await fmnistGan.run({ ...base, steps: 3, resume: true });
    assert.deepEqual(
      rows().map((r) => r.step),
      [1, 2, 3],
    );
    const after = JSON.parse(readFileSync(join(runDir, 'best', 'best.json'), 'utf8'));
    assert.deepEqual([after.step, after.fid], [bestOf(rows()).step, bestOf(rows()).fid], 'the best of all three');
  });
});
