import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ledger } from '../../sources/ledger.js';
import { SampleError } from '../../sources/errors.js';
import type { Lineage } from '../../sources/sample.js';

/**
 * Waits for `p` at most `ms`: a wake-up that never comes fails the test that awaits it instead of
 * leaving a pending promise, which node:test reports by cancelling every other test of the file.
 */
async function within(p: Promise<unknown>, ms = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function lineage(ledger: Ledger, index: number): Lineage {
  return { ledger, pass: 0, shard: 0, index };
}

describe('Ledger', () => {
  it('accounts every sample: seen = yielded + skipped + inFlight + buffered, lost 0', () => {
    const ledger = new Ledger(10);
    let held = 0;
    ledger.trackHeld(() => held);
    const ls = [0, 1, 2, 3].map((i) => lineage(ledger, i));
    for (const l of ls) {
      ledger.read();
      ledger.emitted(l);
    }
    ledger.read();
    held = 1; // one read sample waits in the source's buffer
    ledger.settleDelivered(ls[0] as Lineage);
    ledger.settleSkipped(
      ls[1] as Lineage,
      'decode',
      new SampleError('decode', 'bad png', { url: 'u', key: 'k', field: 'png' }),
    );
    ledger.settleDelivered(ls[1] as Lineage); // already settled: ignored
    const a = ledger.accounting();
    assert.deepEqual(
      {
        seen: a.seen,
        yielded: a.yielded,
        skipped: a.skipped,
        inFlight: a.inFlight,
        buffered: a.buffered,
        lost: a.lost,
      },
      { seen: 5, yielded: 1, skipped: { decode: 1 }, inFlight: 2, buffered: 1, lost: 0 },
    );
    assert.deepEqual(a.errors, [
      { reason: 'decode', message: 'bad png (shard u, key "k", field "png")', url: 'u', key: 'k', field: 'png' },
    ]);
    assert.deepEqual(
      ledger.inFlight().map((t) => [t.pass, t.shard, t.index]),
      [
        [0, 0, 2],
        [0, 0, 3],
      ],
    );
  });

  it('bounds samples in flight: waitForCredit resolves when one settles', async () => {
    const ledger = new Ledger(2);
    const a = lineage(ledger, 0);
    ledger.emitted(a);
    ledger.emitted(lineage(ledger, 1));
    assert.equal(ledger.hasCredit(), false);
    let woke = false;
    const wait = ledger.waitForCredit().then(() => (woke = true));
    await Promise.resolve();
    assert.equal(woke, false);
    assert.equal(ledger.waiting, true);
    ledger.settleDelivered(a);
    await within(wait);
    assert.equal(woke, true);
    assert.equal(ledger.waiting, false);
  });

  it('release() wakes a waiting source unconditionally', async () => {
    const ledger = new Ledger(1);
    ledger.emitted(lineage(ledger, 0));
    let woke = false;
    const wait = ledger.waitForCredit().then(() => (woke = true));
    assert.equal(ledger.waiting, true);
    ledger.release();
    await within(wait);
    assert.equal(woke, true, 'release() woke the waiting source');
    assert.equal(ledger.waiting, false);
    assert.equal(ledger.hasCredit(), false, 'release() wakes without giving credit');
  });

  it('a sample is settled once: a second settleSkipped or settleDelivered of it counts nothing', () => {
    const ledger = new Ledger(10);
    const [a, b, c] = [0, 1, 2].map((i) => lineage(ledger, i)) as [Lineage, Lineage, Lineage];
    for (const l of [a, b, c]) {
      ledger.read();
      ledger.emitted(l);
    }
    ledger.settleDelivered(a);
    ledger.settleSkipped(a, 'filter'); // already delivered
    ledger.settleSkipped(b, 'decode', new Error('bad'));
    ledger.settleSkipped(b, 'decode', new Error('bad again')); // already skipped
    ledger.settleSkipped(b, 'other');
    const r = ledger.accounting();
    assert.deepEqual(
      { yielded: r.yielded, skipped: r.skipped, inFlight: r.inFlight, lost: r.lost },
      { yielded: 1, skipped: { decode: 1 }, inFlight: 1, lost: 0 },
    );
    assert.deepEqual(
      r.errors.map((e) => e.message),
      ['bad'],
    );
  });

  it('state() leaves unsettled samples out of seen (they are re-read on resume) and restores', () => {
    const ledger = new Ledger(5);
    for (let i = 0; i < 4; i++) ledger.read();
    ledger.shardError('truncated-shard', new Error('cut'));
    const s = ledger.state(3);
    assert.equal(s.seen, 1);
    const again = new Ledger(5, 10, s);
    assert.equal(again.accounting().seen, 1);
    assert.deepEqual(again.accounting().shardErrors, { 'truncated-shard': 1 });
  });

  it('keeps only the first few error records', () => {
    const ledger = new Ledger(5, 2);
    for (let i = 0; i < 5; i++) ledger.skippedAtSource('x', new Error(`e${i}`));
    const a = ledger.accounting();
    assert.equal(a.skipped['x'], 5);
    assert.deepEqual(
      a.errors.map((e) => e.message),
      ['e0', 'e1'],
    );
  });
});
