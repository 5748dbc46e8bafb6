import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ledger } from '../../sources/ledger.js';
import { SampleError } from '../../sources/errors.js';
import type { Lineage } from '../../sources/sample.js';

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
    await wait;
    assert.equal(woke, true);
    assert.equal(ledger.waiting, false);
  });

  it('release() wakes a waiting source unconditionally', async () => {
    const ledger = new Ledger(1);
    ledger.emitted(lineage(ledger, 0));
    const wait = ledger.waitForCredit();
    ledger.release();
    await wait;
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
