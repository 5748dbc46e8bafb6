import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { normalize } from '../../operators/normalize.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Image, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

function normalizeOnce(img: Image, options: Parameters<typeof normalize>[0]): Image {
  const out: Sample[] = [];
  from([{ __key__: 'k', __url__: 'u', png: img }])
    .pipe(normalize(options))
    .subscribe((s) => out.push(s));
  return out[0]?.png as Image;
}

describe('normalize', () => {
  it('computes (x * scale - mean[c]) / std[c] per channel into a new Float32Array, keeping the shape and lineage', async () => {
    const ledger = new RecordingLedger();
    const s = ledger.sample('a', {
      png: { data: Uint8Array.from([0, 128, 255, 10, 20, 30]), shape: [1, 2, 3] },
      cls: 4,
    });
    const [out] = await collect(from([s]).pipe(normalize<Sample>(IMAGENET)));
    const img = out?.png as Image;
    assert.ok(img.data instanceof Float32Array);
    assert.deepEqual(img.shape, [1, 2, 3]);
    const expected = [0, 128, 255, 10, 20, 30].map((v, i) =>
      Math.fround((v / 255 - IMAGENET.mean[i % 3]!) / IMAGENET.std[i % 3]!),
    );
    assert.deepEqual(Array.from(img.data), expected);
    assert.equal(out?.[LINEAGE], s[LINEAGE]);
    assert.equal(out?.cls, 4);
    assert.ok(s.png.data instanceof Uint8Array, 'the input is not modified');
  });

  it('broadcasts one mean or std over the channels, takes a scale, and normalises float input with the same formula', () => {
    const grey: Image = { data: Uint8Array.from([0, 100, 200]), shape: [1, 3, 1] };
    assert.deepEqual(
      Array.from(normalizeOnce(grey, { mean: 0.5, std: 0.5 }).data),
      [0, 100, 200].map((v) => Math.fround((v / 255 - 0.5) / 0.5)),
    );
    assert.deepEqual(Array.from(normalizeOnce(grey, { mean: 100, std: 50, scale: 1 }).data), [-2, 0, 2]);
    const rgb: Image = { data: Uint8Array.from([10, 20, 30]), shape: [1, 1, 3] };
    assert.deepEqual(Array.from(normalizeOnce(rgb, { mean: [1, 2, 3], std: 2, scale: 1 }).data), [4.5, 9, 13.5]);
    const f: Image = { data: Float32Array.from([0.5, 0.25, 1]), shape: [1, 1, 3] };
    assert.deepEqual(
      Array.from(normalizeOnce(f, { ...IMAGENET, scale: 1 }).data),
      [0.5, 0.25, 1].map((v, c) => Math.fround((v - IMAGENET.mean[c]!) / IMAGENET.std[c]!)),
    );
  });

  it('equals the formula exactly for any 8-bit pixels and channel count (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 5, maxLength: 5 }),
        fc.array(fc.double({ min: 0.01, max: 3, noNaN: true }), { minLength: 5, maxLength: 5 }),
        fc.nat(),
        (C, n, means, stds, seed) => {
          const data = Uint8Array.from({ length: n * C }, (_, i) => (i * 97 + seed) % 256);
          const mean = means.slice(0, C);
          const std = stds.slice(0, C);
          const out = normalizeOnce({ data, shape: [1, n, C] }, { mean, std });
          assert.deepEqual(
            Array.from(out.data),
            Array.from(data, (v, i) => Math.fround((v * (1 / 255) - mean[i % C]!) / std[i % C]!)),
          );
        },
      ),
    );
  });

  it('reports a channel count that does not match mean/std, and a missing field, through the handler', async () => {
    const ledger = new RecordingLedger();
    const out = await collect(
      from([
        ledger.sample('grey', { png: { data: new Uint8Array(4), shape: [2, 2, 1] } }),
        ledger.sample('ok', { png: { data: new Uint8Array(3), shape: [1, 1, 3] } }),
      ]).pipe(normalize({ ...IMAGENET, handler: 'ignoreAndContinue' })),
    );
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['ok'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [['grey', 'normalize']],
    );
    assert.match((ledger.skipped[0]?.error as Error).message, /an image of 1 channels as mean and std give 3/);
    await assert.rejects(
      collect(from([ledger.sample('m', {})]).pipe(normalize({ ...IMAGENET, fields: ['png'] }))),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field',
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => normalize({ mean: [0.5], std: [0] }), {
      name: 'RangeError',
      message: 'Cannot create a normalize as std[0] must be > 0: current value is 0',
    });
    assert.throws(() => normalize({ mean: 0.5, std: -1 }), {
      name: 'RangeError',
      message: 'Cannot create a normalize as std must be > 0: current value is -1',
    });
    assert.throws(() => normalize({ mean: [0.5, 0.5], std: [1, 1, 1] }), /mean and std must have one length/);
    assert.throws(() => normalize({ mean: [], std: 1 }), TypeError);
    assert.throws(() => normalize({ mean: [Number.NaN], std: 1 }), TypeError);
    assert.throws(() => normalize({ mean: [Infinity], std: 1 }), RangeError);
    assert.throws(() => normalize({ mean: 0, std: 1, scale: Number.NaN }), TypeError);
    assert.throws(() => normalize(undefined as never), TypeError);
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        normalize(IMAGENET),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', png: { data: new Uint8Array(3), shape: [1, 1, 3] } });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', png: { data: new Uint8Array(3), shape: [1, 1, 3] } });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
    assert.equal(subject.observed, false);
  });
});
