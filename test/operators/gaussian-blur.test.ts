import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { gaussianBlur } from '../../operators/gaussian-blur.js';
import { blurSeparable, gaussianKernel, reflectIndex } from '../../operators/image/blur.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Image, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

function noise(H: number, W: number, C: number, seed: number): Image {
  const data = new Uint8Array(H * W * C);
  let s = seed * 2654435761 + 1;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, shape: [H, W, C] };
}

/** torchvision's gaussian_blur written plainly: a 2-D kernel (outer product), numpy "reflect" padding (folded), no rounding. */
function reference(img: Image, size: number, sigma: number): number[] {
  const [H, W, C] = img.shape;
  const half = (size - 1) / 2;
  const k1 = Array.from({ length: size }, (_, i) => Math.exp(-0.5 * ((i - half) / sigma) ** 2));
  const total = k1.reduce((a, b) => a + b, 0);
  const k = k1.map((v) => v / total);
  const reflect = (i: number, n: number): number => {
    if (n === 1) return 0;
    for (;;) {
      if (i < 0) i = -i;
      else if (i >= n) i = 2 * (n - 1) - i;
      else return i;
    }
  };
  const out: number[] = [];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let j = 0; j < size; j++)
          for (let i = 0; i < size; i++)
            s += k[j]! * k[i]! * img.data[(reflect(y + j - half, H) * W + reflect(x + i - half, W)) * C + c]!;
        out.push(s);
      }
  return out;
}

function blurOnce(img: Image, options: Parameters<typeof gaussianBlur>[0], key = 'k'): Image {
  const out: Sample[] = [];
  from([{ __key__: key, __url__: 'u', png: img }])
    .pipe(gaussianBlur({ p: 1, seed: 1, ...options }))
    .subscribe((s) => out.push(s));
  return out[0]?.png as Image;
}

describe('gaussianBlur', () => {
  it('is the identity for a tiny sigma, and keeps a constant image constant', () => {
    const img = noise(9, 11, 3, 1);
    const sharp = blurOnce(img, { sigma: 0.1, kernelSize: 5 });
    assert.deepEqual(Array.from(sharp.data), Array.from(img.data));
    const flat: Image = { data: new Uint8Array(6 * 7 * 3).fill(77), shape: [6, 7, 3] };
    assert.deepEqual(Array.from(blurOnce(flat, { sigma: 2 }).data), Array.from(flat.data));
  });

  it('equals a plain 2-D Gaussian with reflect padding within 1 level (8-bit) or 1e-3 (float), any shape, sigma and kernel size (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(1, 2, 3, 4),
        fc.integer({ min: 1, max: 300 }),
        fc.option(fc.integer({ min: 0, max: 9 })),
        fc.nat(),
        (H, W, C, centi, half, seed) => {
          const sigma = centi / 100;
          const size = half === null ? 2 * Math.ceil(3 * sigma) + 1 : 2 * half + 1; // kernels wider than the image fold back
          const img = noise(H, W, C, seed);
          const ref = reference(img, size, sigma);
          const u8 = blurOnce(img, { sigma, kernelSize: size });
          const f32 = blurOnce({ data: Float32Array.from(img.data), shape: img.shape }, { sigma, kernelSize: size });
          assert.deepEqual(u8.shape, [H, W, C]);
          assert.ok(u8.data instanceof Uint8Array && f32.data instanceof Float32Array);
          ref.forEach((v, i) => {
            assert.ok(Math.abs(u8.data[i]! - v) <= 1, `u8 ${u8.data[i]} vs ${v}`);
            assert.ok(Math.abs(f32.data[i]! - v) <= 1e-3, `f32 ${f32.data[i]} vs ${v}`);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rounds 8-bit results half to even, as torch.round', () => {
    // a 1x2 image [0, 1] with a 3-tap kernel: reflect padding gives [1, 0, 1, 0], outputs weigh 1 and 0 by (2w, c) and (c, 2w)
    const kernel = Float64Array.from([0.25, 0.5, 0.25]);
    const out = blurSeparable(Uint8Array.from([0, 1]), 1, 2, 1, kernel);
    // rows: the one row reflects onto itself, so the vertical pass is the identity; x=0: 0.25*1 + 0.5*0 + 0.25*1 = 0.5 -> 0; x=1: 0.25*0 + 0.5*1 + 0.25*0 = 0.5 -> 0
    assert.deepEqual(Array.from(out), [0, 0]);
    const out3 = blurSeparable(Uint8Array.from([3, 4]), 1, 2, 1, kernel); // 3.5 -> 4, 3.5 -> 4
    assert.deepEqual(Array.from(out3), [4, 4]);
    assert.equal(reflectIndex(-1, 4), 1);
    assert.equal(reflectIndex(4, 4), 2);
    assert.equal(reflectIndex(-7, 4), 1);
    assert.equal(reflectIndex(5, 1), 0);
    const k = gaussianKernel(5, 1);
    assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.equal(k[0], k[4]);
  });

  it('draws sigma per sample in its range (deterministic per sample, any order), respects p, blurs all fields alike', async () => {
    const ledger = new RecordingLedger();
    // a single bright pixel in the middle: what spreads to its neighbour grows with sigma
    const dot = (): Image => {
      const data = new Uint8Array(9 * 9);
      data[40] = 255;
      return { data, shape: [9, 9, 1] };
    };
    const make = (pass = 0) =>
      Array.from({ length: 300 }, (_, i) => ledger.sample(`k${i}`, { png: dot(), 'b.png': dot() }, pass));
    const spread = async (items: Sample[], seed: number, p = 0.5) => {
      const out = await collect(from(items).pipe(gaussianBlur({ sigma: [0.1, 2], seed, p })));
      for (const s of out) assert.deepEqual(Array.from((s['b.png'] as Image).data), Array.from((s.png as Image).data));
      return new Map(out.map((s) => [s.__key__, (s.png as Image).data[40]!]));
    };
    const a = await spread(make(), 1);
    assert.deepEqual(await spread(make().reverse(), 1), a);
    const blurred = [...a.values()].filter((v) => v < 255);
    assert.ok(blurred.length > 110 && blurred.length < 190, `${blurred.length} of 300 blurred at p = 0.5`);
    assert.ok(new Set(blurred).size > 20, 'sigma varies');
    assert.ok(Math.min(...blurred) < 15, 'large sigmas happen');
    assert.ok(
      [...(await spread(make(1), 1))].some(([k, v]) => a.get(k) !== v),
      'another epoch, other draws',
    );
  });

  it('keeps the sample when not blurred, and its lineage when blurred', async () => {
    const ledger = new RecordingLedger();
    const s = ledger.sample('a', { png: noise(4, 4, 3, 2), cls: 1 });
    assert.equal((await collect(from([s]).pipe(gaussianBlur({ p: 0, seed: 1 }))))[0], s);
    const [b] = await collect(from([s]).pipe(gaussianBlur({ p: 1, sigma: 1, seed: 1 })));
    assert.equal(b?.[LINEAGE], s[LINEAGE]);
    assert.equal(b?.cls, 1);
    assert.deepEqual(Array.from(s.png.data), Array.from(noise(4, 4, 3, 2).data), 'the input is not modified');
  });

  it('reports a missing or undecoded named field through the handler', async () => {
    const ledger = new RecordingLedger();
    await assert.rejects(
      collect(from([ledger.sample('m', { jpg: noise(2, 2, 1, 1) })]).pipe(gaussianBlur({ seed: 1, fields: ['png'] }))),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field',
    );
    const out = await collect(
      from([ledger.sample('raw', { png: Buffer.from('x') }), ledger.sample('ok', { png: noise(2, 2, 1, 1) })]).pipe(
        gaussianBlur({ seed: 1, fields: ['png'], handler: 'ignoreAndContinue' }),
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
        ['raw', 'gaussian-blur'],
      ],
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => gaussianBlur({ sigma: 0, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a gaussian blur as sigma must be > 0: current value is 0',
    });
    assert.throws(() => gaussianBlur({ sigma: [2, 1], seed: 1 }), RangeError);
    assert.throws(() => gaussianBlur({ sigma: [0.1, 5000], seed: 1 }), RangeError);
    assert.throws(() => gaussianBlur({ sigma: 'x' as never, seed: 1 }), TypeError);
    assert.throws(() => gaussianBlur({ kernelSize: 4, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a gaussian blur as kernelSize must be odd: current value is 4',
    });
    assert.throws(() => gaussianBlur({ kernelSize: 0, seed: 1 }), RangeError);
    assert.throws(() => gaussianBlur({ p: 1.5, seed: 1 }), /p must be in \[0, 1\]/);
    assert.throws(() => gaussianBlur({ seed: 0.5 }), RangeError);
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        gaussianBlur({ seed: 1 }),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', png: noise(3, 3, 3, 1) });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', png: noise(3, 3, 3, 1) });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
    assert.equal(subject.observed, false);
  });
});
