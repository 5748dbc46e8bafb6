/**
 * Issue 14 item 5: log lines print above the progress bar, never into it. The bytes written to two
 * fake TTY streams (stdout and stderr on one screen) are rendered by a headless xterm and the
 * screen is checked, not the bytes.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { startProgress } from '../../cli/progress.js';
import { StatusLine } from '../../cli/status-line.js';
import { renderScreen } from './screen.js';

/** Two TTY streams of `cols` columns writing to one screen (what `bytes()` returns). */
function screenStreams(cols: number): { out: NodeJS.WriteStream; err: NodeJS.WriteStream; bytes: () => string } {
  const chunks: string[] = [];
  const tty = () => {
    const w = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk));
        cb();
      },
    }) as unknown as NodeJS.WriteStream;
    Object.assign(w, { isTTY: true, columns: cols });
    return w;
  };
  return { out: tty(), err: tty(), bytes: () => chunks.join('') };
}

describe('StatusLine', () => {
  it('log lines written to either stream while the line is shown print intact above it; the line stays last', async () => {
    const { out, err, bytes } = screenStreams(40);
    const line = new StatusLine({ stream: err, above: [out, err] });
    line.show('bar 1/3');
    out.write('backend: wasm, 2 thread(s)\n');
    line.show('bar 2/3');
    err.write('ndaflow: warning [x]: a warning\n');
    out.write(`samples: ${'s'.repeat(50)}\n`); // longer than the 40 columns: wraps, intact
    line.show('bar 3/3');
    const shown = await renderScreen(bytes(), { cols: 40, convertEol: true });
    assert.deepEqual(shown.lines, [
      'backend: wasm, 2 thread(s)',
      'ndaflow: warning [x]: a warning',
      `samples: ${'s'.repeat(50)}`,
      'bar 3/3',
    ]);
    line.stop(true);
    out.write('summary\n');
    const after = await renderScreen(bytes(), { cols: 40, convertEol: true });
    assert.deepEqual(after.lines.slice(-2), ['bar 3/3', 'summary'], 'stop leaves the line on its own row');
  });

  it('cuts the line to the terminal width (less one column), so a long bar never wraps onto a log row', async () => {
    const { out, err, bytes } = screenStreams(30);
    const line = new StatusLine({ stream: err, above: [out, err] });
    line.show(`ndaflow train ${'x'.repeat(60)}`);
    out.write('report: r.html\n');
    line.show(`ndaflow train ${'y'.repeat(60)}`);
    const shown = await renderScreen(bytes(), { cols: 30, convertEol: true });
    assert.deepEqual(shown.rows, ['report: r.html', `ndaflow train ${'y'.repeat(15)}`]);
    line.stop(false);
  });

  it('a partial line is completed before the line is drawn again; stop puts the writes back', async () => {
    const { out, err, bytes } = screenStreams(40);
    const line = new StatusLine({ stream: err, above: [out, err] });
    line.show('bar');
    out.write('evaluating ... ');
    line.show('bar 2'); // not drawn inside the partial line
    out.write('done\n');
    line.stop(false);
    assert.equal(Object.hasOwn(out, 'write'), false, 'the prototype write again');
    out.write('next\n');
    const shown = await renderScreen(bytes(), { cols: 40, convertEol: true });
    assert.deepEqual(shown.lines, ['evaluating ... done', 'next']);
  });

  it('startProgress draws its bar on a StatusLine: log lines stay whole above the bar', async () => {
    const { out, err, bytes } = screenStreams(80);
    const p = startProgress({ label: 'train fmnist-gan', stream: err, above: [out, err], total: 2, unit: 'steps' });
    p.update(1, 'dLoss 1.8694 gLoss 0.0551');
    out.write('evaluation (EMA generator, 1000 generated vs 1000 test images): FID 376.742, KID 23.0262\n');
    p.update(2, 'dLoss 1.1964 gLoss 0.2014');
    out.write('report: /tmp/x/report.html\n');
    p.stop();
    out.write('pipeline: fmnist-gan (seed 1)\n');
    const { lines } = await renderScreen(bytes(), { cols: 80, convertEol: true });
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.equal(lines[0], 'evaluation (EMA generator, 1000 generated vs 1000 test images): FID 376.742, KID 23.0262');
    assert.equal(lines[1], 'report: /tmp/x/report.html');
    assert.match(lines[2]!, /^ndaflow train fmnist-gan \[█+\] 100% \| 2\/2 steps/);
    assert.ok(lines[2]!.length <= 79, `the bar fits 80 columns: ${lines[2]}`);
    assert.equal(lines[3], 'pipeline: fmnist-gan (seed 1)');
  });
});
