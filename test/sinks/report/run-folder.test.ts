import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { clearRunFolder, describeRunFolder, freshRunFolder, trimRunFolder } from '../../../sinks/report/run-folder.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A run folder as a GAN run leaves it at step 4 (checkpoints 2 and 4, evaluations at 2 and 4). */
function fakeRun(dir: string): void {
  mkdirSync(join(dir, 'step-000002'), { recursive: true });
  mkdirSync(join(dir, 'step-000004'), { recursive: true });
  writeFileSync(join(dir, 'latest'), 'step-000004\n');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ pipeline: 'fmnist-gan', seed: 1 }));
  writeFileSync(join(dir, 'metrics.jsonl'), [1, 2, 3, 4].map((step) => `{"step":${step},"dLoss":1}\n`).join(''));
  writeFileSync(join(dir, 'eval.jsonl'), '{"step":2,"fid":300}\n{"step":4,"fid":200}\n');
  writeFileSync(join(dir, 'samples-step-000002.png'), 'png');
  writeFileSync(join(dir, 'samples-step-000004.png'), 'png');
  writeFileSync(join(dir, 'anomaly.json'), '[]');
  writeFileSync(join(dir, 'report.html'), '<html>');
  writeFileSync(join(dir, 'notes.txt'), 'mine');
}

describe('run folder (issue 14 item 1)', () => {
  it('describeRunFolder: null for a missing or empty folder, else what the run is', async () => {
    const root = tempDir();
    assert.equal(await describeRunFolder(join(root, 'missing')), null);
    mkdirSync(join(root, 'empty'));
    writeFileSync(join(root, 'empty', 'notes.txt'), 'not a run');
    assert.equal(await describeRunFolder(join(root, 'empty')), null);
    fakeRun(join(root, 'run'));
    assert.equal(
      await describeRunFolder(join(root, 'run')),
      'fmnist-gan, seed 1, 4 step(s) recorded, checkpoint step 4',
    );
    // a checkpoint alone is a run too
    mkdirSync(join(root, 'ckpt', 'step-000007'), { recursive: true });
    assert.equal(await describeRunFolder(join(root, 'ckpt')), 'checkpoint step 7');
  });

  it('freshRunFolder: the first numbered sibling that holds no run', async () => {
    const root = tempDir();
    fakeRun(join(root, 'r'));
    fakeRun(join(root, 'r-2'));
    assert.equal(await freshRunFolder(join(root, 'r')), join(root, 'r-3'));
  });

  it("clearRunFolder removes every run file and checkpoint, and leaves the user's other files", async () => {
    const dir = join(tempDir(), 'run');
    fakeRun(dir);
    await clearRunFolder(dir);
    assert.deepEqual(readdirSync(dir), ['notes.txt']);
    assert.equal(await describeRunFolder(dir), null);
    await clearRunFolder(dir); // idempotent
    await clearRunFolder(join(dir, 'missing'));
  });

  it('trimRunFolder keeps metrics, evaluations and grids up to the resumed step, and a clean last line', async () => {
    const dir = join(tempDir(), 'run');
    fakeRun(dir);
    writeFileSync(join(dir, 'eval.jsonl'), '{"step":2,"fid":300}\n{"step":4,"fid":200}\n{"step":5,"fi');
    await trimRunFolder(dir, 2);
    assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), '{"step":1,"dLoss":1}\n{"step":2,"dLoss":1}\n');
    assert.equal(readFileSync(join(dir, 'eval.jsonl'), 'utf8'), '{"step":2,"fid":300}\n');
    assert.ok(existsSync(join(dir, 'samples-step-000002.png')));
    assert.equal(existsSync(join(dir, 'samples-step-000004.png')), false);
    // nothing past the step: untouched
    const before = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
    await trimRunFolder(dir, 9);
    assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), before);
  });
});
