import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { rename } from '../../operators/rename.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

describe('rename', () => {
  it('takes the first present alternative, removes every source field and keeps the others', async () => {
    const ledger = new RecordingLedger();
    const a = ledger.sample('a', { png: 'P', cls: 1, json: 'J' });
    const b = ledger.sample('b', { jpg: 'G', png: 'P2', cls: 2, json: 'J' });
    const out = await collect(from([a, b]).pipe(rename({ image: 'jpg;png', label: 'cls' })));
    assert.deepEqual(
      { ...out[0] },
      { __key__: 'a', __url__: 'mem://test.tar', json: 'J', image: 'P', label: 1, [LINEAGE]: a[LINEAGE] },
    );
    assert.deepEqual(
      { ...out[1] },
      { __key__: 'b', __url__: 'mem://test.tar', json: 'J', image: 'G', label: 2, [LINEAGE]: b[LINEAGE] },
    );
    assert.equal(a.png, 'P', 'the input is not modified');
  });

  it('keeps only the new fields with keep: false', async () => {
    const ledger = new RecordingLedger();
    const [out] = await collect(
      from([ledger.sample('a', { png: 'P', cls: 1, json: 'J' })]).pipe(rename({ image: 'png' }, { keep: false })),
    );
    assert.deepEqual(Object.keys(out as object), ['__key__', '__url__', 'image']);
  });

  it('reports a sample with none of the alternatives as missing-field through the handler', async () => {
    const ledger = new RecordingLedger();
    const input = [ledger.sample('a', { png: 1 }), ledger.sample('b', { webp: 1 }), ledger.sample('c', { jpg: 1 })];
    await assert.rejects(collect(from(input).pipe(rename({ image: 'jpg;png' }))), (e: unknown) => {
      assert.ok(e instanceof SampleError);
      assert.equal(e.reason, 'missing-field');
      assert.equal(e.field, 'jpg;png');
      assert.equal(e.key, 'b');
      return true;
    });
    const out = await collect(from(input).pipe(rename({ image: 'jpg;png' }, { handler: 'ignoreAndContinue' })));
    assert.deepEqual(
      out.map((s) => [s.__key__, s.image]),
      [
        ['a', 1],
        ['c', 1],
      ],
    );
    assert.deepEqual(ledger.skippedKeys('missing-field'), ['b', 'b']);
  });

  it('validates the mapping when created', () => {
    assert.throws(() => rename({}), {
      name: 'RangeError',
      message: 'Cannot rename fields as the mapping must name at least one field: current value is {}',
    });
    assert.throws(() => rename({ image: 'png;' }), /must not have an empty alternative/);
    assert.throws(() => rename({ __key__: 'png' }), RangeError);
    assert.throws(() => rename({ image: 3 as never }), TypeError);
    assert.throws(() => rename(null as never), TypeError);
    assert.throws(() => rename({ a: 'b' }, { keep: 'yes' as never }), TypeError);
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        rename({ y: 'x' }),
      )
      .subscribe();
    sub.unsubscribe();
    assert.equal(finalized, true);
    assert.equal(subject.observed, false);
  });

  it('matches a reference of WebDataset rename (property)', () => {
    const names = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(
        fc.dictionary(names, fc.integer()),
        fc.dictionary(fc.constantFrom('x', 'y'), fc.uniqueArray(names, { minLength: 1, maxLength: 3 }), { minKeys: 1 }),
        (fields, spec) => {
          const mapping = Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, v.join(';')]));
          const sample: Sample = { __key__: 'k', __url__: 'u', ...fields };
          let out: Sample | undefined;
          let error: unknown;
          from([sample])
            .pipe(rename(mapping))
            .subscribe({ next: (s) => (out = s), error: (e: unknown) => (error = e) });
          // reference: python webdataset _rename(keep=True)
          const replaced = new Set<string>(Object.values(spec).flat());
          const expected: Record<string, unknown> = Object.fromEntries(
            Object.entries(sample).filter(([k]) => !replaced.has(k)),
          );
          for (const [to, alts] of Object.entries(spec)) {
            const hit = alts.find((f) => f in fields);
            if (hit === undefined) {
              assert.ok(error instanceof SampleError && error.reason === 'missing-field');
              return;
            }
            expected[to] = fields[hit];
          }
          assert.deepEqual(out, expected);
        },
      ),
    );
  });
});
