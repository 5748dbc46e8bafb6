/**
 * Issue 14 item 5: a reader that goes away (`ndaflow run fmnist-gan ... | head -1`) ends the command
 * quietly with exit code 0; before, the EPIPE became an uncaught exception, the wasm module's handler
 * printed ~60 KB of its minified source and the process exited 7.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, ROOT } from './cli-helper.js';

describe('a closed stdout (issue 14 item 5)', () => {
  it('run fmnist-gan | head -1: stdout destroyed after the first line, the command stops quietly with exit 0', async () => {
    const runDir = join(tempDir(), 'run');
    const args = [
      '--no-progress',
      'run',
      'fmnist-gan',
      '--steps',
      '1',
      '--no-eval',
      '--seed',
      '1',
      '--run-dir',
      runDir,
    ];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      // what `head -1` does: read the first line and close the pipe
      if (stdout.includes('\n')) child.stdout.destroy();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    assert.match(stdout, /^backend: /, 'the first line came through');
    assert.equal(stderr, '', 'nothing on stderr');
    assert.equal(code, 0);
  });
});
