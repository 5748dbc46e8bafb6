/**
 * Issue 14 item 5: on a terminal, log lines print above the progress bar, never into it. The CLI runs
 * under a pseudo-terminal of 80 columns (util-linux `script`), and what it wrote is rendered by a
 * headless xterm: the test reads the screen, not the bytes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, ROOT } from './cli-helper.js';
import { renderScreen } from './screen.js';

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** Whether util-linux `script` is here to make a pseudo-terminal. */
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/** Runs `node CLI ...args` on a pseudo-terminal of `cols` x 24 and returns every byte it wrote to the terminal. */
function runOnTerminal(args: readonly string[], cols: number): Promise<{ code: number | null; bytes: string }> {
  const command = `stty cols ${cols} rows 24; exec ${quote(process.execPath)} ${[CLI, ...args].map(quote).join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (bytes += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, bytes }));
  });
}

describe(
  'terminal output (issue 14 item 5)',
  { skip: hasScript ? false : 'util-linux `script` is not installed' },
  () => {
    it('run fmnist-gan on an 80-column terminal: every log line whole on its own row, the bar on the last row, then the summary with FID/KID', async () => {
      const runDir = join(tempDir(), 'run');
      const { code, bytes } = await runOnTerminal(
        ['run', 'fmnist-gan', '--steps', '1', '--seed', '1', '--run-dir', runDir],
        80,
      );
      assert.equal(code, 0, bytes);
      // the screen just before the summary: the training bar has stopped on its last state
      const summaryAt = bytes.indexOf('pipeline: fmnist-gan (seed 1)');
      assert.ok(summaryAt > 0, bytes);
      const before = await renderScreen(bytes.slice(0, summaryAt), { cols: 80 });
      const bar = before.rows.at(-1) ?? '';
      assert.match(bar, /^ndaflow train fmnist-gan \[█+\] 100% \| 1\/1 steps \| /, before.rows.join('\n'));
      assert.ok(bar.length < 80, `the bar is cut to the terminal: ${bar}`);
      const logs = [
        /^backend: wasm \(.*\), \d thread\(s\)$/,
        new RegExp(`^samples: ${runDir}/samples-step-000001\\.png$`),
        /^evaluation \(EMA generator, \d+ generated vs \d+ test images\): FID \d+\.\d{3}, KID -?\d+\.\d{4} ± \d+\.\d{4}$/,
        new RegExp(`^report: ${runDir}/report\\.html$`),
      ];
      for (const log of logs)
        assert.equal(
          before.lines.filter((l) => log.test(l)).length,
          1,
          `${log} on its own line in\n${before.lines.join('\n')}`,
        );
      // each log line written while the bar was shown is followed by nothing but other logs, then the bar
      const firstLog = before.lines.findIndex((l) => l.startsWith('samples: '));
      assert.deepEqual(
        before.lines.slice(firstLog).map((l) => l.split(' ')[0]),
        ['samples:', 'evaluation', 'best', 'report:', 'ndaflow'],
      );
      const after = await renderScreen(bytes, { cols: 80 });
      const summary = after.lines.indexOf('pipeline: fmnist-gan (seed 1)');
      assert.equal(after.lines[summary - 1], before.lines.at(-1), 'the summary starts below the bar');
      // the summary opens with the headline results: the FID/KID the evaluation logged
      const logged = before.lines.find((l) => l.startsWith('evaluation ')) ?? '';
      const [, fid, kid, kidStd] = /FID ([\d.]+), KID (-?[\d.]+) ± ([\d.]+)$/.exec(logged) ?? [];
      const results = /^results: fid ([\d.]+), kid (-?[\d.]+), kidStd ([\d.]+)$/.exec(after.lines[summary + 1] ?? '');
      assert.ok(results, after.lines.slice(summary).join('\n'));
      assert.equal(Number(results[1]).toFixed(3), fid);
      assert.equal(Number(results[2]).toFixed(4), kid);
      assert.equal(Number(results[3]).toFixed(4), kidStd);
    });
  },
);
