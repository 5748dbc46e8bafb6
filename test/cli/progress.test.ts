import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { startProgress } from '../../cli/progress.js';

/** A stream that records what is written; `isTTY` as asked. */
function recorder(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(w, { isTTY, columns: 100, text: () => chunks.join('') });
  return w;
}

describe('startProgress', () => {
  it('without a TTY: plain lines with the count and the rate, at most every intervalMs', () => {
    const stream = recorder(false);
    const p = startProgress({ label: 'inspect', stream, intervalMs: 0 });
    p.update(10);
    p.update(25);
    p.stop();
    p.update(99);
    assert.match(stream.text(), /^ndaflow: inspect 10 samples, [\d.]+\/s\nndaflow: inspect 25 samples, [\d.]+\/s\n$/);
    const rare = recorder(false);
    const q = startProgress({ label: 'run', stream: rare, intervalMs: 3_600_000, total: 5 });
    q.update(1);
    q.stop();
    assert.equal(rare.text(), '', 'nothing before the interval');
  });

  it('with a TTY: a bar showing the count and the rate; disabled: nothing', () => {
    const stream = recorder(true);
    const p = startProgress({ label: 'run default', stream, total: 200, above: [] });
    p.update(120);
    p.stop();
    p.stop();
    const text = stream.text();
    assert.match(text, /ndaflow run default/);
    assert.match(text, /120\/200 samples/);
    assert.match(text, /[\d.]+\/s/);
    const off = recorder(true);
    const q = startProgress({ label: 'x', stream: off, enabled: false, above: [] });
    q.update(5);
    q.stop();
    assert.equal(off.text(), '');
  });

  it('training: the detail (losses) and, with a total, the ETA on every plain line and on the bar', () => {
    const stream = recorder(false);
    const p = startProgress({ label: 'train fmnist-gan', stream, intervalMs: 0, total: 100, unit: 'steps' });
    p.update(25, 'dLoss 1.2000 gLoss 0.3000');
    p.stop();
    assert.match(
      stream.text(),
      /^ndaflow: train fmnist-gan 25\/100 steps, [\d.]+\/s, ETA \d+s, dLoss 1\.2000 gLoss 0\.3000\n$/,
    );
    const tty = recorder(true);
    const q = startProgress({ label: 'train', stream: tty, total: 10, unit: 'steps', above: [] });
    q.update(4, 'dLoss 0.5');
    q.stop();
    assert.match(tty.text(), /4\/10 steps \| [\d.]+\/s \| ETA .*\| dLoss 0\.5/);
  });
});
