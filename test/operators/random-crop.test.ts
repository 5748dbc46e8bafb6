import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { randomCrop } from '../../operators/random-crop.js';
import { sampleRandom } from '../../operators/internal/sample-random.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Image, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

function ramp(h: number, w: number, c: number, offset = 0): Image {
  return { data: Uint8Array.from({ length: h * w * c }, (_, i) => (i + offset) % 251), shape: [h, w, c] };
}

/** Pixel (y, x, ch) of the image padded by `pad` zeros on every side. */
function padded(img: Image, pad: number, y: number, x: number, ch: number): number {
  const [H, W, C] = img.shape;
  const sy = y - pad;
  const sx = x - pad;
  if (sy < 0 || sy >= H || sx < 0 || sx >= W) return 0;
  return img.data[(sy * W + sx) * C + ch] as number;
}

/** The naive crop of the padded image at (y0, x0). */
function window(img: Image, pad: number, y0: number, x0: number, h: number, w: number): number[] {
  const C = img.shape[2];
  const out: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let ch = 0; ch < C; ch++) out.push(padded(img, pad, y0 + y, x0 + x, ch));
  return out;
}

describe('randomCrop', () => {
  it('crops at the place drawn from (seed, random-crop, epoch, key)', async () => {
    const ledger = new RecordingLedger();
    const input = ['a', 'b', 'c', 'd'].map((k, i) => ledger.sample(k, { png: ramp(6, 7, 3, i), cls: i }));
    const out = await collect(from(input).pipe(randomCrop({ size: [3, 4], seed: 11 })));
    out.forEach((s, i) => {
      const src = input[i] as Sample;
      const rng = sampleRandom(11, 'random-crop', src);
      const y0 = rng.int(0, 3);
      const x0 = rng.int(0, 3);
      const img = s.png;
      assert.deepEqual(img.shape, [3, 4, 3]);
      assert.ok(img.data instanceof Uint8Array);
      assert.deepEqual(Array.from(img.data), window(src.png as Image, 0, y0, x0, 3, 4));
      assert.equal(s.cls, i);
      assert.equal(s[LINEAGE], src[LINEAGE]);
      assert.notEqual(s, src);
      assert.deepEqual((src.png as Image).shape, [6, 7, 3], 'the input is not modified');
    });
  });

  it('pads with zeros: a crop of the padded size is the padded image', async () => {
    const ledger = new RecordingLedger();
    const img: Image = { data: Uint8Array.from([1, 2, 3, 4]), shape: [2, 2, 1] };
    const [out] = await collect(
      from([ledger.sample('a', { png: img })]).pipe(randomCrop({ size: 4, pad: 1, seed: 1 })),
    );
    assert.deepEqual(Array.from((out?.png as Image).data), [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
  });

  it('keeps Float32 data, and gives the same crop to same-sized fields of a sample', async () => {
    const ledger = new RecordingLedger();
    const f: Image = { data: Float32Array.from({ length: 64 }, (_, i) => i / 2), shape: [8, 8, 1] };
    const mask = ramp(8, 8, 1);
    const [out] = await collect(
      from([ledger.sample('a', { png: f, 'seg.png': mask })]).pipe(randomCrop({ size: 3, seed: 4 })),
    );
    const a = out?.png as Image;
    const b = out?.['seg.png'] as Image;
    assert.ok(a.data instanceof Float32Array);
    assert.deepEqual(
      Array.from(a.data, (v) => v * 2),
      Array.from(b.data),
    );
  });

  it('crops only the named fields with fields', async () => {
    const ledger = new RecordingLedger();
    const [out] = await collect(
      from([ledger.sample('a', { png: ramp(5, 5, 1), big: ramp(5, 5, 1) })]).pipe(
        randomCrop({ size: 2, seed: 4, fields: ['png'] }),
      ),
    );
    assert.deepEqual((out?.png as Image).shape, [2, 2, 1]);
    assert.deepEqual((out?.big as Image).shape, [5, 5, 1]);
  });

  it('is deterministic per sample: same seed same crops in any order, other seeds and epochs differ', async () => {
    const ledger = new RecordingLedger();
    const input = Array.from({ length: 30 }, (_, i) => ledger.sample(`k${i}`, { png: ramp(16, 16, 1) }));
    const crops = async (items: Sample[], seed: number) => {
      const out = await collect(from(items).pipe(randomCrop({ size: 8, seed })));
      return new Map(out.map((s) => [s.__key__, Array.from((s.png as Image).data).join(',')]));
    };
    const a = await crops(input, 1);
    assert.deepEqual(await crops([...input].reverse(), 1), a);
    const b = await crops(input, 2);
    assert.ok([...a].some(([k, v]) => b.get(k) !== v));
    const nextEpoch = Array.from({ length: 30 }, (_, i) => ledger.sample(`k${i}`, { png: ramp(16, 16, 1) }, 1));
    const c = await crops(nextEpoch, 1);
    assert.ok([...a].some(([k, v]) => c.get(k) !== v));
    assert.ok(new Set(a.values()).size > 5, 'crops vary between samples');
  });

  it('reports an image smaller than the crop, and a missing or undecoded field, through the handler', async () => {
    const ledger = new RecordingLedger();
    const input = [ledger.sample('small', { png: ramp(3, 8, 1) }), ledger.sample('ok', { png: ramp(8, 8, 1) })];
    await assert.rejects(collect(from(input).pipe(randomCrop({ size: 4, seed: 1 }))), (e: unknown) => {
      assert.ok(e instanceof SampleError);
      assert.equal(e.reason, 'random-crop');
      assert.equal(e.key, 'small');
      assert.equal(e.field, 'png');
      assert.match(e.message, /Cannot crop an image of 3x8 to 4x4 as it must be at least as large as the crop/);
      return true;
    });
    const out = await collect(from(input).pipe(randomCrop({ size: 4, seed: 1, handler: 'ignoreAndContinue' })));
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['ok'],
    );
    assert.deepEqual(
      await collect(
        from([ledger.sample('padded', { png: ramp(3, 8, 1) })]).pipe(randomCrop({ size: 4, pad: 1, seed: 1 })),
      ).then((o) => (o[0]?.png as Image).shape),
      [4, 4, 1],
    );
    await assert.rejects(
      collect(
        from([ledger.sample('m', { jpg: ramp(8, 8, 1) })]).pipe(randomCrop({ size: 4, seed: 1, fields: ['png'] })),
      ),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field',
    );
    await assert.rejects(
      collect(
        from([ledger.sample('raw', { png: Buffer.from('x') })]).pipe(randomCrop({ size: 4, seed: 1, fields: ['png'] })),
      ),
      /must be a decoded image/,
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [
        ['small', 'random-crop'],
        ['small', 'random-crop'],
        ['m', 'missing-field'],
        ['raw', 'random-crop'],
      ],
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => randomCrop({ size: 0, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a random crop as size must be >= 1: current value is 0',
    });
    assert.throws(() => randomCrop({ size: [3] as never, seed: 1 }), TypeError);
    assert.throws(() => randomCrop({ size: [3, 2.5], seed: 1 }), RangeError);
    assert.throws(() => randomCrop({ size: 3, pad: -1, seed: 1 }), RangeError);
    assert.throws(() => randomCrop({ size: 3, seed: 1.5 }), RangeError);
    assert.throws(() => randomCrop({ size: 3, seed: 1, fields: [] }), TypeError);
    assert.throws(() => randomCrop(undefined as never), TypeError);
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        randomCrop({ size: 1, seed: 1 }),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', png: ramp(2, 2, 1) });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', png: ramp(2, 2, 1) });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
  });

  it('always gives a window of the padded image (property against a naive crop)', () => {
    fc.assert(
      fc.property(
        fc.record({
          H: fc.integer({ min: 1, max: 7 }),
          W: fc.integer({ min: 1, max: 7 }),
          C: fc.integer({ min: 1, max: 3 }),
          pad: fc.integer({ min: 0, max: 2 }),
          seed: fc.nat(),
          key: fc.string(),
        }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 11 }),
        ({ H, W, C, pad, seed, key }, h, w) => {
          fc.pre(h <= H + 2 * pad && w <= W + 2 * pad);
          const img = ramp(H, W, C, 1);
          let out: Sample | undefined;
          from([{ __key__: key, __url__: 'u', png: img }])
            .pipe(randomCrop({ size: [h, w], pad, seed }))
            .subscribe((s) => (out = s));
          const got = Array.from((out?.png as Image).data);
          assert.deepEqual((out?.png as Image).shape, [h, w, C]);
          let found = false;
          for (let y0 = 0; y0 <= H + 2 * pad - h && !found; y0++)
            for (let x0 = 0; x0 <= W + 2 * pad - w && !found; x0++)
              found = window(img, pad, y0, x0, h, w).every((v, i) => v === got[i]);
          assert.ok(found);
        },
      ),
    );
  });
});
