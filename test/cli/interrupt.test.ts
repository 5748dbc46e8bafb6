/**
 * Issue 14 items 2 and 3: SIGINT (Ctrl-C) and SIGTERM stop each long command kind (prepare, training,
 * video inspect) within a few seconds with a message and exit 130 / 143; prepare keeps only complete
 * shards and says which; a stopped training run says `stopped early at step N` in its output,
 * config.json and report, and resumes with --resume; a bad --out is one line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeFakeFashionMnist } from '../datasets/idx-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, ROOT, readShard, runCli, type CliResult } from './cli-helper.js';

/** Runs the CLI, sends `signal` once `ready` holds (polled), and resolves with the output and how long the stop took. */
function interruptCli(
  args: readonly string[],
  signal: 'SIGINT' | 'SIGTERM',
  ready: (out: { stdout: string; stderr: string }) => boolean,
): Promise<CliResult & { stopMs: number; sent: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sentAt = 0;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const poll = setInterval(() => {
      if (sentAt === 0 && ready({ stdout, stderr })) {
        sentAt = performance.now();
        child.kill(signal);
      }
    }, 25);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, stdout, stderr, stopMs: performance.now() - sentAt, sent: sentAt > 0 });
    });
  });
}

const CODES = { SIGINT: 130, SIGTERM: 143 } as const;

describe('SIGINT and SIGTERM stop every long command kind (issue 14 item 3)', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`prepare fashion-mnist: ${signal} keeps only complete shards, says which, exits ${CODES[signal]}`, async () => {
      const root = tempDir();
      writeFakeFashionMnist(root, 20_000, 10);
      const out = join(root, 'out');
      const r = await interruptCli(
        ['prepare', 'fashion-mnist', '--root', root, '--out', out, '--max-samples', '500', '--no-progress'],
        signal,
        () => existsSync(join(out, 'train-000000.tar')),
      );
      assert.ok(r.sent, r.stderr);
      assert.equal(r.code, CODES[signal], r.stderr);
      assert.ok(r.stopMs < 5000, `stopped after ${r.stopMs} ms`);
      assert.match(r.stderr, new RegExp(`stopping on ${signal}`));
      const kept = /stopped on SIG\w+; (\d+) complete shard\(s\) kept: (.*)$/m.exec(r.stderr);
      assert.ok(kept, r.stderr);
      const files = readdirSync(out).sort();
      assert.equal(
        files.some((f) => f.endsWith('.partial')),
        false,
        files.join(' '),
      );
      assert.deepEqual(
        kept[2]!.split(', '),
        files.map((f) => join(out, f)),
      );
      assert.equal(files.length, Number(kept[1]));
      for (const f of files) assert.equal((await readShard(join(out, f))).length, 500, f);
    });
  }

  it('prepare with an --out that cannot be made: one line, exit 1, nothing read', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 5, 2);
    writeFileSync(join(root, 'file'), '');
    for (const args of [
      ['prepare', 'fashion-mnist', '--root', root, '--out', join(root, 'file', 'out')],
      ['prepare', 'folder', root, '--out', join(root, 'file', 'out')],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^ndaflow: error: Cannot write shards to .*file\/out as ENOTDIR \(.*\)\n$/);
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`run fmnist-gan: ${signal} stops training, says "stopped early at step N" (output, config.json, report), exits ${CODES[signal]}; --resume continues`, async () => {
      const runDir = join(tempDir(), 'run');
      const common = ['--backend', 'wasm', '--no-eval', '--run-dir', runDir];
      const r = await interruptCli(
        ['run', 'fmnist-gan', '--steps', '200', '--seed', '1', '--batch-size', '4', '--shuffle', '0', ...common],
        signal,
        ({ stderr }) => /train fmnist-gan \d+\/200 steps/.test(stderr),
      );
      assert.ok(r.sent, r.stderr);
      assert.equal(r.code, CODES[signal], `${r.stdout}\n${r.stderr}`);
      assert.ok(r.stopMs < 10_000, `stopped after ${r.stopMs} ms`);
      assert.match(r.stderr, new RegExp(`ndaflow: run fmnist-gan: stopping on ${signal}`));
      const step = /\(stopped early at step (\d+) on SIG\w+\)/.exec(r.stdout);
      assert.ok(step, r.stdout);
      const n = Number(step[1]);
      assert.ok(n >= 1 && n < 200);
      assert.match(r.stdout, new RegExp(`^status: stopped early at step ${n}$`, 'm'));
      const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { status: string };
      assert.equal(config.status, `stopped early at step ${n}`);
      assert.match(
        readFileSync(join(runDir, 'report.html'), 'utf8'),
        new RegExp(`stopped early at step ${n}</strong>`),
      );
      // the preempted job resumes where it stopped
      const resumed = await runCli([
        'run',
        'fmnist-gan',
        '--resume',
        '--steps',
        String(n + 1),
        '--no-progress',
        ...common,
      ]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, new RegExp(`resuming .* at step ${n} of ${n + 1}`));
      assert.equal(
        (JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { status: string }).status,
        `completed at step ${n + 1}`,
      );
    });
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`inspect --clips: ${signal} stops mid-decode, says so, nothing lost, exits ${CODES[signal]}`, async () => {
      const shard = join(ROOT, 'data', 'moving-fmnist', 'train-000000.tar.gz');
      // once the first sample is out (the progress line), with ffmpeg processes running
      const r = await interruptCli(
        ['inspect', '--clips', '2', '--mode', 'multi', '--frames', '8', '--size', '64', shard],
        signal,
        ({ stderr }) => stderr.includes('ndaflow: inspect --clips 1'),
      );
      assert.ok(r.sent, r.stderr);
      assert.equal(r.code, CODES[signal], r.stderr);
      assert.ok(r.stopMs < 5000, `stopped after ${r.stopMs} ms`);
      assert.match(r.stderr, new RegExp(`ndaflow: inspect: stopped on ${signal} after \\d+ sample\\(s\\)`));
      assert.match(r.stderr, /"lost":0/);
    });
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`preview: ${signal} while reading stops it, says so, writes no PNG, exits ${CODES[signal]}`, async () => {
      const dir = tempDir();
      const marker = join(dir, 'reading');
      // a shard that never arrives: the command that would send it marks that reading began, then waits
      const r = await interruptCli(
        [
          'preview',
          '--op',
          'jigsaw',
          '--allow-pipe',
          `pipe:touch ${marker}; exec sleep 60`,
          '--out',
          join(dir, 'grid.png'),
        ],
        signal,
        () => existsSync(marker),
      );
      assert.ok(r.sent, r.stderr);
      assert.equal(r.code, CODES[signal], r.stderr);
      assert.match(r.stderr, new RegExp(`ndaflow: preview: stopped on ${signal}: .*grid\\.png not written`));
      assert.deepEqual(readdirSync(dir), ['reading']);
    });
  }
});
