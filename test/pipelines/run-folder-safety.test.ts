/**
 * Issue 14 item 1: a run folder is never silently overwritten, a failed start changes nothing in it,
 * its evaluations and grids belong to one run, and every training pipeline honours `resume`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fmnistAnomaly } from '../../pipelines/fmnist-anomaly.js';
import { fmnistGan } from '../../pipelines/fmnist-gan.js';
import { packageRoot } from '../../sources/package-root.js';
import { tempDir } from '../helpers/temp-dir.js';

const TEST = join(packageRoot(), 'data', 'fmnist', 'test-000000.tar.gz');

/** Every file under `dir` with its bytes (to show that nothing changed). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${prefix}${name}/`);
      else out[`${prefix}${name}`] = readFileSync(p).toString('base64');
    }
  };
  walk(dir, '');
  return out;
}

const GAN = { evaluate: false, nda: 'jigsaw', seed: 1, backend: 'wasm', batchSize: 4, shuffle: 0 } as const;

describe('run folder safety (issue 14 item 1)', () => {
  it('fmnist-gan: a new run over a run is refused (naming it and the ways out), a failed start changes nothing, --resume still works, --overwrite replaces it', async () => {
    const runDir = join(tempDir(), 'run');
    await fmnistGan.run({ ...GAN, steps: 2, runDir });
    // what an earlier evaluation left (issue: eval.jsonl was appended to and never reset)
    writeFileSync(join(runDir, 'eval.jsonl'), '{"step":2,"fid":376}\n{"step":5,"fid":300}\n');
    writeFileSync(join(runDir, 'samples-step-000005.png'), 'a grid of step 5');
    const before = snapshot(runDir);

    // the issue's reproduction: missing shards fail before anything is written
    await assert.rejects(
      fmnistGan.run({
        ...GAN,
        steps: 2,
        runDir,
        shards: join(runDir, 'nope-{0..3}.tar'),
        // fmnist-gan takes --test-shards (its declaration adds it), which the shared option type leaves out
        ...({ testShards: TEST } as unknown as Record<string, never>),
      }),
      /Cannot run fmnist-gan as the shards shard .*nope-0\.tar does not exist or cannot be read \(nor 3 other\(s\)\): nothing was written/,
    );
    assert.deepEqual(snapshot(runDir), before);

    // a valid new run in the used folder: refused, naming the run and the ways out
    await assert.rejects(fmnistGan.run({ ...GAN, steps: 2, seed: 2, runDir }), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(
        e.message,
        `Cannot run fmnist-gan as the run folder ${runDir} holds another run (fmnist-gan, seed 1, completed at step 2, 2 step(s) recorded, checkpoint step 2): pass --resume to continue it, --overwrite to replace it, or --run-dir ${runDir}-2 for a fresh folder`,
      );
      return true;
    });
    assert.deepEqual(snapshot(runDir), before);

    // --resume continues it, and trims the evaluations and grids past the checkpoint
    const resumed = await fmnistGan.run({ evaluate: false, resume: true, steps: 3, runDir, backend: 'wasm' });
    assert.equal(resumed.details?.steps, 3);
    assert.equal(readFileSync(join(runDir, 'eval.jsonl'), 'utf8'), '{"step":2,"fid":376}\n');
    assert.equal(existsSync(join(runDir, 'samples-step-000005.png')), false);
    assert.deepEqual(
      readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { step: number }).step),
      [1, 2, 3],
    );

    // --overwrite: a new run from an empty folder (no old evaluations, grids or checkpoints)
    writeFileSync(join(runDir, 'notes.txt'), 'kept');
    const fresh = await fmnistGan.run({ ...GAN, steps: 1, seed: 2, runDir, overwrite: true });
    assert.equal(fresh.details?.steps, 1);
    assert.equal(existsSync(join(runDir, 'eval.jsonl')), false);
    assert.equal(existsSync(join(runDir, 'step-000003')), false);
    assert.equal((JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { seed: number }).seed, 2);
    assert.equal(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 1);
    assert.equal(readFileSync(join(runDir, 'notes.txt'), 'utf8'), 'kept');
  });

  it('fmnist-anomaly honours --resume: the saved seed and options, the checkpoint, metrics continued', async () => {
    const runDir = join(tempDir(), 'anomaly');
    const base = { normalClass: 3, nda: 'none', backend: 'wasm', batchSize: 8, shuffle: 0, runDir } as const;
    await fmnistAnomaly.run({ ...base, steps: 1, seed: 5 });
    await assert.rejects(
      fmnistAnomaly.run({ ...base, steps: 1, seed: 6 }),
      /holds another run \(fmnist-anomaly, seed 5/,
    );
    const lines: string[] = [];
    const r = await fmnistAnomaly.run(
      { resume: true, runDir, steps: 2, backend: 'wasm' },
      { log: (l) => lines.push(l) },
    );
    assert.ok(lines.includes(`resuming ${runDir} at step 1 of 2`), lines.join('\n'));
    assert.equal(r.seed, 5);
    assert.equal(r.details?.steps, 2);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([config.seed, config.normalClass, config.nda, config.steps], [5, 3, 'none', 2]);
    assert.deepEqual(
      readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { step: number }).step),
      [1, 2],
    );
    assert.ok(existsSync(join(runDir, 'step-000002')));
    await assert.rejects(
      fmnistAnomaly.run({ resume: true, runDir, normalClass: 4, backend: 'wasm' }),
      /resume keeps the run's normalClass 3/,
    );
  });
});
