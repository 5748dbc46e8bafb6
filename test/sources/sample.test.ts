import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  LINEAGE,
  carryLineage,
  describeKey,
  describeUrl,
  isImage,
  lineagesOf,
  settleDelivered,
  settleSkipped,
  type Lineage,
  type Sample,
} from '../../sources/sample.js';
import { Ledger } from '../../sources/ledger.js';

describe('sample', () => {
  const ledger = new Ledger(10);
  const l1: Lineage = { ledger, pass: 0, shard: 0, index: 0 };
  const l2: Lineage = { ledger, pass: 0, shard: 0, index: 1 };

  it('lineagesOf reads one lineage, a batch of them, or none', () => {
    const s: Sample = { __key__: 'a', __url__: 'u', [LINEAGE]: l1 };
    assert.deepEqual(lineagesOf(s), [l1]);
    assert.deepEqual(lineagesOf({ [LINEAGE]: [l1, l2] }), [l1, l2]);
    assert.deepEqual(lineagesOf({}), []);
    assert.deepEqual(lineagesOf(3), []);
    assert.deepEqual(lineagesOf({ ...s }), [l1]); // spreads copy the symbol
    assert.equal(carryLineage(s, { x: 1 })[LINEAGE as never], l1);
  });

  it('settles every member with the ledger', () => {
    ledger.read();
    ledger.read();
    ledger.emitted(l1);
    ledger.emitted(l2);
    settleSkipped({ [LINEAGE]: [l1] }, 'filtered');
    settleDelivered({ [LINEAGE]: l2 });
    const a = ledger.accounting();
    assert.deepEqual([a.yielded, a.skipped, a.inFlight, a.lost], [1, { filtered: 1 }, 0, 0]);
  });

  it('describes keys and urls of samples and batches', () => {
    assert.equal(describeKey({ __key__: 'a' }), 'a');
    assert.equal(describeKey({ __key__: ['a', 'b', 'c', 'd'] }), 'a,b,c,...(4)');
    assert.equal(describeKey(null), '?');
    assert.equal(describeUrl({ __url__: ['u', 'u', 'v'] }), 'u,v');
    assert.ok(isImage({ data: new Uint8Array(3), shape: [1, 1, 3] }));
    assert.ok(!isImage({ data: [1], shape: [1, 1, 1] }));
  });
});
