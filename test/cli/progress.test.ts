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
    const clock = { t: 0 };
    const p = startProgress({ label: 'inspect', stream, intervalMs: 0, now: () => clock.t });
    clock.t = 500;
    p.update(10);
    clock.t = 2500;
    p.update(25);
    p.stop();
    p.update(99);
    assert.equal(stream.text(), 'ndaflow: inspect 10 samples\nndaflow: inspect 25 samples, 7.5/s\n');
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
    assert.match(text, /120\/200 samples \| -\/s \| ETA -/, 'no rate before a second of updates');
    const off = recorder(true);
    const q = startProgress({ label: 'x', stream: off, enabled: false, above: [] });
    q.update(5);
    q.stop();
    assert.equal(off.text(), '');
  });

  it('training: the detail (losses) and, with a total, the ETA on every plain line and on the bar', () => {
    const stream = recorder(false);
    const clock = { t: 0 };
    const p = startProgress({
      label: 'train fmnist-gan',
      stream,
      intervalMs: 0,
      total: 100,
      unit: 'steps',
      now: () => clock.t,
    });
    p.update(1, 'dLoss 1.5000 gLoss 0.1000');
    clock.t = 12_000;
    p.update(25, 'dLoss 1.2000 gLoss 0.3000');
    p.stop();
    assert.equal(
      stream.text(),
      'ndaflow: train fmnist-gan 1/100 steps, dLoss 1.5000 gLoss 0.1000\n' +
        'ndaflow: train fmnist-gan 25/100 steps, 2.0/s, ETA 38s, dLoss 1.2000 gLoss 0.3000\n',
    );
    const tty = recorder(true);
    const ttyClock = { t: 0 };
    const q = startProgress({
      label: 'train',
      stream: tty,
      total: 10,
      unit: 'steps',
      above: [],
      now: () => ttyClock.t,
    });
    q.update(1, 'dLoss 0.9');
    ttyClock.t = 3000;
    q.update(4, 'dLoss 0.5');
    q.stop();
    assert.match(tty.text(), /4\/10 steps \| 1\.0\/s \| ETA 6s \| dLoss 0\.5/);
  });

  it('rates count the progress of this process from its first update: no spike on the first tick, none after a resume', () => {
    // a run resumed at step 20 of 40: its first update is step 21, one step per 2 s
    const stream = recorder(false);
    const clock = { t: 0 };
    const p = startProgress({ label: 'train', stream, intervalMs: 0, total: 40, unit: 'steps', now: () => clock.t });
    clock.t = 1; // the first step ends 1 ms after the display started (the old rate: 21 / 0.001 s)
    p.update(21);
    clock.t = 2001;
    p.update(22);
    clock.t = 6001;
    p.update(24);
    p.stop();
    assert.deepEqual(stream.text().trimEnd().split('\n'), [
      'ndaflow: train 21/40 steps',
      'ndaflow: train 22/40 steps, 0.5/s, ETA 36s',
      'ndaflow: train 24/40 steps, 0.5/s, ETA 32s',
    ]);
    // samples: two updates 1 ms apart are no rate (a second of updates is needed), then the rate since the first
    const samples = recorder(false);
    const t = { now: 0 };
    const q = startProgress({ label: 'inspect', stream: samples, intervalMs: 0, now: () => t.now });
    t.now = 3000;
    q.update(64);
    t.now = 3001;
    q.update(128);
    t.now = 5000;
    q.update(1064);
    q.stop();
    assert.deepEqual(samples.text().trimEnd().split('\n'), [
      'ndaflow: inspect 64 samples',
      'ndaflow: inspect 128 samples',
      'ndaflow: inspect 1064 samples, 500/s',
    ]);
  });
});
