import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fmnistGan } from '../../pipelines/fmnist-gan.js';
import { findPipeline } from '../../pipelines/registry.js';
import { runCli } from '../cli/cli-helper.js';
import { at } from '../helpers/at.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('fmnistGan', () => {
  it('is registered as fmnist-gan', () => {
    assert.equal(findPipeline('fmnist-gan'), fmnistGan);
  });

  it('trains 2 G steps on the embedded shards: metrics.jsonl with 2 lines, a checkpoint, the backend logged', async () => {
    const runDir = join(tempDir(), 'run');
    const lines: string[] = [];
    const r = await fmnistGan.run(
      {
        evaluate: false,
        nda: 'jigsaw',
        steps: 2,
        seed: 1,
        backend: 'wasm',
        batchSize: 8,
        shuffle: 16,
        runDir,
      },
      {
        log: (l) => lines.push(l),
      },
    );
    assert.equal(r.results, undefined, 'not evaluated: no headline results');
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      metrics.map((m) => m.step),
      [1, 2],
    );
    for (const m of metrics) assert.ok(Number.isFinite(m.dLoss) && Number.isFinite(m.gLoss));
    // the NDA run trains with the paper's weights: dLoss = real + 0.25 fake + 0.75 negative
    for (const m of metrics) {
      const weighted = m.dLossReal + 0.25 * m.dLossFake + 0.75 * m.dLossNegative;
      assert.ok(m.dLossNegative > 0.1 && Math.abs(m.dLoss - weighted) < 1e-5, JSON.stringify(m));
    }
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    assert.deepEqual([config.alpha, config.beta], [0.25, 0.75]);
    assert.ok(existsSync(join(runDir, 'step-000002')), 'final checkpoint');
    assert.match(lines[0]!, /^backend: wasm \(forced\)/);
    assert.ok(lines.some((l) => /^step 2\/2: dLoss /.test(l)));
    assert.equal(r.details?.steps, 2);
    assert.equal(r.details?.runDir, runDir);
    // 4 D updates per G step, one full batch of 8 each
    assert.equal(r.batches, 8);
    assert.equal(r.samples, 64);
    assert.equal(r.accounting.lost, 0);
    assert.ok(r.accounting.yielded >= 64);
  });

  it('nda none trains the plain GAN: alpha 1, beta 0 in config.json', async () => {
    const runDir = join(tempDir(), 'run');
    const r = await fmnistGan.run({
      evaluate: false,
      nda: 'none',
      steps: 1,
      seed: 2,
      backend: 'wasm',
      batchSize: 4,
      shuffle: 0,
      runDir,
    });
    assert.equal(r.details?.nda, 'none');
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    assert.equal(metrics.length, 1);
    // alpha 1, beta 0 recorded and used: the step's D loss is the plain hinge loss, real + fake, though
    // the negatives' term (here on the real images themselves) is far from 0
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([config['nda'], config['alpha'], config['beta'], config['ndaOptions']], ['none', 1, 0, {}]);
    const m = at(metrics, 0);
    assert.ok((m['dLossNegative'] ?? 0) > 0.1, JSON.stringify(m));
    assert.ok(
      Math.abs((m['dLoss'] ?? NaN) - ((m['dLossReal'] ?? NaN) + (m['dLossFake'] ?? NaN))) < 1e-5,
      JSON.stringify(m),
    );
  });

  it('a bad nda is a RangeError listing the valid names, before anything is read or written', async () => {
    const runDir = join(tempDir(), 'run');
    // @ts-expect-error: a bad name, checked at run time
    await assert.rejects(fmnistGan.run({ evaluate: false, nda: 'rotate', steps: 1, runDir }), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(
        e.message,
        /nda must be one of none, jigsaw, stitch, mixup, cutout, cutmix: current value is "rotate"/,
      );
      return true;
    });
    assert.equal(existsSync(runDir), false);
  });

  it('through the CLI: a bad --nda exits 1 with the valid names', async () => {
    const bad = await runCli(['run', 'fmnist-gan', '--nda', 'rotate', '--steps', '1', '--no-progress']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /nda must be one of none, jigsaw, stitch, mixup, cutout, cutmix/);
  });

  it('writes the resolved config.json and report.html, and logs where the report is', async () => {
    const runDir = join(tempDir(), 'run');
    const lines: string[] = [];
    const r = await fmnistGan.run(
      {
        nda: 'cutout',
        steps: 1,
        seed: 5,
        backend: 'wasm',
        batchSize: 4,
        shuffle: 0,
        runDir,
      },
      {
        log: (l) => lines.push(l),
      },
    );
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    assert.equal(config.pipeline, 'fmnist-gan');
    assert.equal(config.nda, 'cutout');
    assert.equal(config.seed, 5);
    assert.equal(config.alpha, 0.25);
    assert.equal(config.beta, 0.75);
    assert.equal(config.batchSize, 4);
    assert.equal(config.dStepsPerG, 4);
    assert.equal(config.backend, 'wasm');
    assert.ok(Array.isArray(config.shards) && config.shards.length === 4, 'the embedded shards, resolved');
    const report = join(runDir, 'report.html');
    assert.equal(r.details?.report, report);
    assert.ok(lines.includes(`report: ${report}`));
    const html = readFileSync(report, 'utf8');
    assert.match(html, /<h2>Training<\/h2>/);
    assert.match(html, /<th>nda<\/th><td>cutout<\/td>/);
    // the EMA generator's sample grid and its FID/KID against the 1000 embedded test images
    assert.ok(existsSync(join(runDir, 'samples-step-000001.png')));
    assert.match(html, /<img src="samples-step-000001\.png"/);
    const [evaluation] = readFileSync(join(runDir, 'eval.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(evaluation.step, 1);
    assert.equal(evaluation.n, 1000);
    assert.equal(evaluation.generator, 'ema');
    assert.ok(evaluation.fid > 0 && Number.isFinite(evaluation.fid), `fid ${evaluation.fid}`);
    assert.ok(Number.isFinite(evaluation.kid) && evaluation.kidStd >= 0);
    // the headline results (the CLI's `results:` line) are the evaluation's
    assert.deepEqual(r.results, { fid: evaluation.fid, kid: evaluation.kid, kidStd: evaluation.kidStd });
    assert.match(html, /<h2>Evaluation<\/h2>/);
    assert.ok(
      lines.some((l) =>
        /^evaluation \(EMA generator, 1000 generated vs 1000 test images\): FID [\d.]+, KID -?[\d.]+ ± [\d.]+$/.test(l),
      ),
      lines.join('\n'),
    );
  });

  it('--resume continues the run identically: 2 steps + resume to 4 = 4 steps straight', async () => {
    const base = { evaluate: false, nda: 'jigsaw', seed: 3, backend: 'wasm', batchSize: 4, shuffle: 8 } as const;
    const straight = join(tempDir(), 'straight');
    await fmnistGan.run({ ...base, steps: 4, runDir: straight });
    const split = join(tempDir(), 'split');
    await fmnistGan.run({ ...base, steps: 2, runDir: split });
    const lines: string[] = [];
    const resumed = await fmnistGan.run(
      {
        evaluate: false,
        resume: true,
        steps: 4,
        runDir: split,
        backend: 'wasm',
      },
      {
        log: (l) => lines.push(l),
      },
    );
    assert.ok(lines.includes(`resuming ${split} at step 2 of 4`));
    assert.equal(resumed.details?.steps, 4);
    const losses = (dir: string) =>
      readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const m = JSON.parse(l);
          return [m.step, m.dLoss, m.gLoss];
        });
    assert.deepEqual(losses(split), losses(straight), 'same samples, same noise, same weights');
    assert.equal(JSON.parse(readFileSync(join(split, 'config.json'), 'utf8')).steps, 4);
    assert.equal(resumed.accounting.lost, 0);
  });

  it('--resume refuses a run folder without a run, and an option that contradicts the saved config', async () => {
    const empty = join(tempDir(), 'none');
    await assert.rejects(
      fmnistGan.run({ evaluate: false, resume: true, runDir: empty, backend: 'wasm' }),
      /config\.json does not exist \(no run to resume there\)/,
    );
    const runDir = join(tempDir(), 'run');
    await fmnistGan.run({
      evaluate: false,
      nda: 'none',
      steps: 1,
      seed: 4,
      backend: 'wasm',
      batchSize: 4,
      shuffle: 0,
      runDir,
    });
    await assert.rejects(
      fmnistGan.run({ evaluate: false, resume: true, runDir, nda: 'jigsaw', steps: 2 }),
      (e: unknown) => {
        assert.ok(e instanceof RangeError);
        assert.match(e.message, /resume keeps the run's nda "none": current value is "\\"jigsaw\\""/);
        return true;
      },
    );
    await assert.rejects(
      fmnistGan.run({ evaluate: false, resume: true, nda: 'none' }),
      /resume needs the run folder \(--run-dir\)/,
    );
  });

  it('through the CLI: --resume continues a run and the step progress shows the losses', async () => {
    const runDir = join(tempDir(), 'cli-run');
    const first = await runCli([
      'run',
      'fmnist-gan',
      '--steps',
      '1',
      '--seed',
      '6',
      '--batch-size',
      '4',
      '--shuffle',
      '0',
      '--backend',
      'wasm',
      '--no-eval',
      '--run-dir',
      runDir,
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /ndaflow: train fmnist-gan 1\/1 steps, .*dLoss [\d.]+ gLoss -?[\d.]+/);
    assert.match(first.stdout, /report: .*report\.html/);
    const second = await runCli([
      'run',
      'fmnist-gan',
      '--resume',
      '--run-dir',
      runDir,
      '--steps',
      '2',
      '--backend',
      'wasm',
      '--no-eval',
      '--no-progress',
    ]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /resuming .* at step 1 of 2/);
    assert.equal(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
  });

  it('--arch sn-resnet --conditional trains the class-conditional SN-ResNet pair on the cls labels', async () => {
    const runDir = join(tempDir(), 'run');
    const r = await fmnistGan.run({
      evaluate: false,
      nda: 'jigsaw',
      architecture: 'sn-resnet',
      conditional: true,
      steps: 1,
      seed: 8,
      backend: 'wasm',
      batchSize: 4,
      shuffle: 0,
      runDir,
    });
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    assert.equal(config.architecture, 'sn-resnet');
    assert.equal(config.classes, 10);
    assert.equal(config.ch, 32);
    const [m] = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(Number.isFinite(m.dLoss) && Number.isFinite(m.gLoss));
    assert.equal(r.accounting.lost, 0);
    await assert.rejects(
      // @ts-expect-error: a bad name, checked at run time
      fmnistGan.run({ evaluate: false, architecture: 'vit', steps: 1, runDir: join(tempDir(), 'x') }),
      /architecture must be one of dcgan, sn-resnet, biggan: current value is "vit"/,
    );
  });

  it('--arch biggan --conditional trains BigGAN-32 (ch 8: 32 channels) on the cls labels', async () => {
    const runDir = join(tempDir(), 'run');
    const r = await fmnistGan.run({
      evaluate: false,
      nda: 'jigsaw',
      architecture: 'biggan',
      conditional: true,
      steps: 1,
      seed: 9,
      backend: 'wasm',
      batchSize: 4,
      shuffle: 0,
      runDir,
    });
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    assert.deepEqual([config.architecture, config.classes, config.ch], ['biggan', 10, 8]);
    const [m] = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(Number.isFinite(m.dLoss) && Number.isFinite(m.gLoss), JSON.stringify(m));
    assert.ok(existsSync(join(runDir, 'step-000001')), 'checkpoint of the custom layers');
    assert.equal(r.accounting.lost, 0);
  });
});
