import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { randomFlip } from '../../operators/random-flip.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Image, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

function ramp(h: number, w: number, c: number): Image {
  return { data: Uint8Array.from({ length: h * w * c }, (_, i) => i % 256), shape: [h, w, c] };
}

/** The naive mirror image. */
function mirror(img: Image, direction: 'horizontal' | 'vertical'): number[] {
  const [H, W, C] = img.shape;
  const out: number[] = [];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        const sy = direction === 'vertical' ? H - 1 - y : y;
        const sx = direction === 'horizontal' ? W - 1 - x : x;
        out.push(img.data[(sy * W + sx) * C + c] as number);
      }
  return out;
}

describe('randomFlip', () => {
  it('mirrors left-right with p = 1 and leaves the sample as it is with p = 0', async () => {
    const ledger = new RecordingLedger();
    const s = ledger.sample('a', {
      png: { data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), shape: [2, 3, 2] },
      cls: 1,
    });
    const [flipped] = await collect(from([s]).pipe(randomFlip<Sample>({ p: 1, seed: 1 })));
    assert.deepEqual(Array.from((flipped?.png as Image).data), [5, 6, 3, 4, 1, 2, 11, 12, 9, 10, 7, 8]);
    assert.equal(flipped?.[LINEAGE], s[LINEAGE]);
    assert.equal(flipped?.cls, 1);
    assert.deepEqual(Array.from(s.png.data), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'the input is not modified');
    const [same] = await collect(from([s]).pipe(randomFlip({ p: 0, seed: 1 })));
    assert.equal(same, s);
    const [vertical] = await collect(from([s]).pipe(randomFlip<Sample>({ p: 1, seed: 1, direction: 'vertical' })));
    assert.deepEqual(Array.from((vertical?.png as Image).data), [7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6]);
  });

  it('flips all the image fields of a sample together, keeps Float32, and honours fields', async () => {
    const ledger = new RecordingLedger();
    const f: Image = { data: Float32Array.from([0.5, 1.5]), shape: [1, 2, 1] };
    const samples = Array.from({ length: 20 }, (_, i) =>
      ledger.sample(`k${i}`, { png: ramp(1, 2, 1), 'seg.png': ramp(1, 2, 1), f }),
    );
    const out = await collect(from(samples).pipe(randomFlip({ seed: 3 })));
    for (const s of out) assert.deepEqual(Array.from(s.png.data), Array.from(s['seg.png'].data));
    const flipped = out.filter((s) => s.png.data[0] === 1);
    assert.ok(flipped.length > 0 && flipped.length < 20);
    for (const s of flipped) {
      assert.ok(s.f.data instanceof Float32Array);
      assert.deepEqual(Array.from(s.f.data), [1.5, 0.5]);
    }
    const only = await collect(from(samples).pipe(randomFlip({ p: 1, seed: 3, fields: ['png'] })));
    assert.deepEqual(Array.from((only[0]?.png as Image).data), [1, 0]);
    assert.deepEqual(Array.from((only[0]?.['seg.png'] as Image).data), [0, 1]);
  });

  it('is deterministic per sample: same seed same decisions in any order; p is respected', async () => {
    const ledger = new RecordingLedger();
    const input = Array.from({ length: 400 }, (_, i) => ledger.sample(`k${i}`, { png: ramp(1, 2, 1) }));
    const decisions = async (items: Sample[], seed: number, p = 0.5) => {
      const out = await collect(from(items).pipe(randomFlip({ seed, p })));
      return new Map(out.map((s) => [s.__key__, (s.png as Image).data[0] === 1]));
    };
    const a = await decisions(input, 1);
    assert.deepEqual(await decisions([...input].reverse(), 1), a);
    const b = await decisions(input, 2);
    assert.ok([...a].some(([k, v]) => b.get(k) !== v));
    const flippedAt = (m: Map<string, boolean>) => [...m.values()].filter(Boolean).length;
    assert.ok(flippedAt(a) > 140 && flippedAt(a) < 260, `${flippedAt(a)} of 400 at p = 0.5`);
    assert.ok(flippedAt(await decisions(input, 1, 0.1)) < 80);
  });

  it('reports a missing or undecoded named field through the handler', async () => {
    const ledger = new RecordingLedger();
    await assert.rejects(
      collect(from([ledger.sample('m', { jpg: ramp(2, 2, 1) })]).pipe(randomFlip({ seed: 1, fields: ['png'] }))),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field' && e.field === 'png',
    );
    const out = await collect(
      from([ledger.sample('raw', { png: Buffer.from('x') }), ledger.sample('ok', { png: ramp(2, 2, 1) })]).pipe(
        randomFlip({ seed: 1, fields: ['png'], handler: 'ignoreAndContinue' }),
      ),
    );
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['ok'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [
        ['m', 'missing-field'],
        ['raw', 'random-flip'],
      ],
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => randomFlip({ p: 1.5, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a random flip as p must be in [0, 1]: current value is 1.5',
    });
    assert.throws(() => randomFlip({ p: Number.NaN, seed: 1 }), TypeError);
    assert.throws(() => randomFlip({ direction: 'diagonal' as never, seed: 1 }), RangeError);
    assert.throws(() => randomFlip({ seed: -3 }), RangeError);
    assert.throws(() => randomFlip({ seed: 1, fields: 'png' as never }), TypeError);
    let picked: number | undefined;
    randomFlip({ onSeed: (s) => (picked = s) });
    assert.equal(typeof picked, 'number');
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        randomFlip({ seed: 1 }),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', png: ramp(2, 2, 1) });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', png: ramp(2, 2, 1) });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
  });

  it('equals a naive mirror, and flipping twice is the identity (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('horizontal' as const, 'vertical' as const),
        (H, W, C, direction) => {
          const img = ramp(H, W, C);
          const once: Sample[] = [];
          from([{ __key__: 'k', __url__: 'u', png: img }])
            .pipe(randomFlip({ p: 1, seed: 0, direction }), randomFlip({ p: 1, seed: 0, direction }))
            .subscribe((s) => once.push(s));
          assert.deepEqual(Array.from((once[0]?.png as Image).data), Array.from(img.data));
          from([{ __key__: 'k', __url__: 'u', png: img }])
            .pipe(randomFlip({ p: 1, seed: 0, direction }))
            .subscribe((s) => once.push(s));
          assert.deepEqual(Array.from((once[1]?.png as Image).data), mirror(img, direction));
        },
      ),
    );
  });
});
