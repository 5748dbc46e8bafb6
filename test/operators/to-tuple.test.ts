import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { toTuple } from '../../operators/to-tuple.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, lineagesOf, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

describe('toTuple', () => {
  it('gives the field values in order, with alternatives, carrying lineage and a hidden key', async () => {
    const ledger = new RecordingLedger();
    const a = ledger.sample('a', { png: 'P', cls: 1 });
    const b = ledger.sample('b', { jpg: 'G', png: 'P2', cls: 2 });
    const out = await collect(from([a, b]).pipe(toTuple('jpg;png', 'cls')));
    assert.deepEqual([...(out[0] as unknown[])], ['P', 1]);
    assert.deepEqual([...(out[1] as unknown[])], ['G', 2]);
    assert.equal(out[0]?.[LINEAGE], a[LINEAGE]);
    assert.deepEqual(lineagesOf(out[1]), [b[LINEAGE]]);
    assert.equal(out[1]?.__key__, 'b');
    assert.equal(out[1]?.__url__, 'mem://test.tar');
    assert.deepEqual(Object.keys(out[1] as object), ['0', '1'], 'key and url are not enumerable');
    assert.equal(JSON.stringify(out[1]), '["G",2]');
  });

  it('reports a missing field as missing-field through the handler', async () => {
    const ledger = new RecordingLedger();
    const input = [ledger.sample('a', { png: 1, cls: 0 }), ledger.sample('b', { cls: 1 })];
    await assert.rejects(collect(from(input).pipe(toTuple('jpg;png', 'cls'))), (e: unknown) => {
      assert.ok(e instanceof SampleError);
      assert.equal(e.reason, 'missing-field');
      assert.equal(e.field, 'jpg;png');
      assert.equal(e.key, 'b');
      return true;
    });
    const out = await collect(from(input).pipe(toTuple('png', 'cls', { handler: 'ignoreAndContinue' })));
    assert.equal(out.length, 1);
    assert.deepEqual(ledger.skippedKeys('missing-field'), ['b', 'b']);
  });

  it('validates its fields when created', () => {
    assert.throws(() => toTuple(), {
      name: 'RangeError',
      message: 'Cannot make tuples as at least one field must be named: current value is []',
    });
    assert.throws(() => toTuple('png;'), RangeError);
    assert.throws(() => toTuple(1 as never), TypeError);
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: unknown[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        toTuple('x'),
      )
      .subscribe((t) => seen.push(t));
    subject.next({ __key__: 'a', __url__: 'u', x: 1 });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', x: 2 });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
  });

  it('equals mapping the fields by hand (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ a: fc.integer(), b: fc.string() })), (rows) => {
        const out: unknown[][] = [];
        from(rows.map((r, i) => ({ __key__: `k${i}`, __url__: 'u', ...r })))
          .pipe(toTuple('b', 'a'))
          .subscribe((t) => out.push([...t]));
        assert.deepEqual(
          out,
          rows.map((r) => [r.b, r.a]),
        );
      }),
    );
  });
});
