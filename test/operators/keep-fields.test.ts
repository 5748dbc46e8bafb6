import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { keepFields } from '../../operators/keep-fields.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

describe('keepFields', () => {
  it('keeps __key__, __url__, the lineage and the named fields only', async () => {
    const ledger = new RecordingLedger();
    const s = ledger.sample('a', { png: 1, cls: 2, json: 3, 'seg.png': 4 });
    const [out] = await collect(from([s]).pipe(keepFields('cls', 'seg.png')));
    assert.deepEqual(Object.keys(out as object), ['__key__', '__url__', 'cls', 'seg.png']);
    assert.deepEqual(
      { ...out },
      { __key__: 'a', __url__: 'mem://test.tar', cls: 2, 'seg.png': 4, [LINEAGE]: s[LINEAGE] },
    );
    assert.notEqual(out, s);
    assert.equal(s.png, 1, 'the input is not modified');
  });

  it('reports a missing field as a missing-field SampleError through the handler', async () => {
    const ledger = new RecordingLedger();
    const input = [
      ledger.sample('a', { png: 1, cls: 0 }),
      ledger.sample('b', { png: 1 }),
      ledger.sample('c', { png: 1, cls: 2 }),
    ];
    await assert.rejects(collect(from(input).pipe(keepFields('png', 'cls'))), (e: unknown) => {
      assert.ok(e instanceof SampleError);
      assert.equal(e.reason, 'missing-field');
      assert.equal(e.field, 'cls');
      assert.equal(e.key, 'b');
      assert.match(e.message, /Cannot keep field "cls" as the sample lacks it \(it has "png"\)/);
      return true;
    });
    const out = await collect(from(input).pipe(keepFields('png', 'cls', { handler: 'ignoreAndContinue' })));
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['a', 'c'],
    );
    assert.deepEqual(ledger.skippedKeys('missing-field'), ['b', 'b']);
  });

  it('validates its fields when created', () => {
    assert.throws(() => keepFields(), {
      name: 'RangeError',
      message: 'Cannot keep fields as at least one field must be named: current value is []',
    });
    assert.throws(() => keepFields(''), RangeError);
    assert.throws(() => keepFields('png', 'png'), /each field must be named once/);
    assert.throws(() => keepFields(3 as never), TypeError);
    assert.throws(() => keepFields('png', { handler: 'bad' as never }), TypeError);
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        keepFields('x'),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', x: 1 });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', x: 1 });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
  });

  it('equals picking the fields by hand (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer()),
        fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1 }),
        (fields, wanted) => {
          const sample: Sample = { __key__: 'k', __url__: 'u', ...fields };
          const out: Sample[] = [];
          let error: unknown;
          from([sample])
            .pipe(keepFields(...wanted))
            .subscribe({ next: (s) => out.push(s), error: (e: unknown) => (error = e) });
          if (wanted.every((f) => f in fields))
            assert.deepEqual(out, [
              { __key__: 'k', __url__: 'u', ...Object.fromEntries(wanted.map((f) => [f, fields[f]])) },
            ]);
          else assert.ok(error instanceof SampleError && error.reason === 'missing-field');
        },
      ),
    );
  });
});
