import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fmnistGan } from '../../pipelines/fmnist-gan.js';
import { findPipeline } from '../../pipelines/registry.js';
import { runCli } from '../cli/cli-helper.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('fmnistGan', () => {
  it('is registered as fmnist-gan', () => {
    assert.equal(findPipeline('fmnist-gan'), fmnistGan);
  });

  it('trains 2 G steps on the embedded shards: metrics.jsonl with 2 lines, a checkpoint, the backend logged', async () => {
    const runDir = join(tempDir(), 'run');
    const lines: string[] = [];
    const r = await fmnistGan.run({ nda: 'jigsaw', steps: 2, seed: 1, backend: 'wasm', batchSize: 8, shuffle: 16, runDir, log: (l) => lines.push(l) });
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(metrics.map((m) => m.step), [1, 2]);
    for (const m of metrics) assert.ok(Number.isFinite(m.dLoss) && Number.isFinite(m.gLoss));
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

  it('nda none trains the plain GAN', async () => {
    const runDir = join(tempDir(), 'run');
    const r = await fmnistGan.run({ nda: 'none', steps: 1, seed: 2, backend: 'wasm', batchSize: 4, shuffle: 0, runDir });
    assert.equal(r.details?.nda, 'none');
    assert.equal(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 1);
  });

  it('a bad nda is a RangeError listing the valid names, before anything is read or written', async () => {
    const runDir = join(tempDir(), 'run');
    await assert.rejects(fmnistGan.run({ nda: 'rotate', steps: 1, runDir }), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, /nda must be one of none, jigsaw, stitch, mixup, cutout, cutmix: current value is "rotate"/);
      return true;
    });
    assert.equal(existsSync(runDir), false);
  });

  it('through the CLI: a bad --nda exits 1 with the valid names', async () => {
    const bad = await runCli(['run', 'fmnist-gan', '--nda', 'rotate', '--steps', '1', '--no-progress']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /nda must be one of none, jigsaw, stitch, mixup, cutout, cutmix/);
  });
});
