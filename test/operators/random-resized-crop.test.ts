import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { randomResizedCrop } from '../../operators/random-resized-crop.js';
import { centreBox, resizedCropBox, roundHalfEven } from '../../operators/internal/resized-crop-box.js';
import { resizeBilinear } from '../../operators/image/resize.js';
import { Random } from '../../sources/random.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Image, type Sample } from '../../sources/sample.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

/** A deterministic test image (the same formula generated the Pillow expectations below). */
function pattern(H: number, W: number, C: number): Image {
  const data = new Uint8Array(H * W * C);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      for (let c = 0; c < C; c++) data[(y * W + x) * C + c] = (y * 37 + x * 91 + c * 53 + y * x * 13) % 256;
  return { data, shape: [H, W, C] };
}

/**
 * Expected outputs from Pillow 9.4: `Image.fromarray(pattern).crop((2, 1, 8, 6)).resize(..., BILINEAR)`
 * (what torchvision's RandomResizedCrop runs on PIL images).
 */
const PILLOW = {
  rgbDown: [
    155, 125, 124, 113, 166, 139, 154, 124, 177, 129, 137, 125, 129, 128, 163, 128, 119, 172, 149, 135, 125, 165, 90,
    143, 181, 108, 161, 161, 122, 148, 127, 148, 129, 176, 119, 145,
  ], // 7x9 RGB, box top 1 left 2 h 5 w 6, to 4x3
  rgbUp: [
    245, 42, 95, 216, 62, 115, 146, 110, 163, 105, 158, 181, 153, 206, 111, 191, 244, 51, 121, 174, 99, 51, 104, 147,
    89, 142, 195, 137, 190, 243, 185, 149, 202, 233, 79, 132, 253, 50, 103, 210, 53, 106, 190, 74, 118, 143, 123, 146,
    114, 167, 154, 141, 194, 107, 162, 215, 67, 115, 168, 116, 68, 121, 166, 89, 142, 195, 116, 169, 222, 160, 140, 193,
    209, 93, 146, 230, 73, 126, 122, 82, 135, 126, 104, 125, 135, 156, 102, 136, 189, 86, 112, 165, 96, 91, 144, 108,
    101, 154, 160, 110, 163, 212, 88, 141, 194, 65, 118, 171, 98, 118, 171, 150, 127, 180, 172, 131, 184, 58, 111, 164,
    81, 129, 137, 135, 173, 74, 160, 192, 39, 97, 140, 95, 42, 94, 147, 98, 139, 192, 152, 183, 236, 98, 137, 190, 34,
    85, 138, 59, 104, 157, 113, 148, 201, 137, 166, 219, 86, 139, 192, 110, 137, 167, 168, 130, 106, 195, 125, 75, 134,
    128, 132, 83, 131, 184, 141, 124, 177, 198, 117, 170, 147, 119, 172, 86, 123, 176, 113, 118, 171, 171, 111, 164,
    195, 108, 161, 115, 168, 221, 140, 144, 197, 200, 86, 139, 230, 57, 110, 172, 117, 170, 124, 167, 220, 184, 109,
    162, 244, 51, 104, 196, 101, 154, 138, 161, 214, 168, 132, 185, 228, 74, 127, 253, 50, 103, 144, 197, 133, 147, 174,
    133, 156, 118, 131, 162, 79, 132, 161, 88, 141, 160, 96, 149, 169, 94, 147, 178, 93, 146, 177, 101, 154, 176, 110,
    163, 182, 110, 163, 191, 109, 162, 195, 108, 161, 172, 225, 46, 155, 203, 69, 113, 151, 124, 95, 101, 154, 150, 59,
    112, 197, 24, 77, 155, 80, 133, 112, 135, 188, 159, 100, 153, 214, 58, 111, 196, 88, 141, 154, 143, 196, 137, 166,
    219, 201, 161, 51, 180, 158, 80, 130, 151, 148, 98, 133, 186, 124, 83, 136, 147, 43, 92, 140, 112, 118, 132, 180,
    143, 155, 139, 138, 181, 89, 132, 182, 95, 148, 175, 121, 174, 172, 131, 184, 230, 73, 80, 210, 94, 109, 163, 143,
    180, 120, 168, 221, 95, 121, 174, 76, 84, 128, 125, 155, 103, 174, 226, 77, 155, 188, 120, 130, 141, 170, 160, 109,
    162, 209, 84, 137, 230, 73, 126, 241, 38, 91, 222, 68, 121, 176, 140, 193, 129, 182, 235, 83, 136, 189, 47, 100,
    143, 119, 172, 97, 191, 244, 51, 155, 208, 113, 109, 162, 185, 151, 115, 168, 223, 69, 122, 253, 50, 103,
  ], // same box, to 11x13
  grayUp: [
    23, 129, 86, 85, 43, 157, 121, 128, 70, 175, 150, 153, 96, 142, 126, 83, 124, 161, 156, 108, 140, 172, 178, 155,
    124, 111, 125, 168, 140, 123, 148, 119, 160, 150, 183, 66,
  ], // 6x5 grey, whole image, to 9x4
};

/** Pillow's resampling in plain double precision (no fixed point, no intermediate rounding): the reference for a tolerance of 1. */
function referenceResize(
  img: Image,
  box: { top: number; left: number; h: number; w: number },
  outH: number,
  outW: number,
): number[] {
  const [, W, C] = img.shape;
  const weights = (inSize: number, outSize: number) =>
    Array.from({ length: outSize }, (_, o) => {
      const scale = inSize / outSize;
      const support = Math.max(1, scale);
      const centre = (o + 0.5) * scale;
      const taps: [number, number][] = [];
      for (
        let i = Math.max(0, Math.trunc(centre - support + 0.5));
        i < Math.min(inSize, Math.trunc(centre + support + 0.5));
        i++
      ) {
        const t = Math.abs((i - centre + 0.5) / support);
        if (t < 1) taps.push([i, 1 - t]);
      }
      const total = taps.reduce((s, [, w]) => s + w, 0);
      return taps.map(([i, w]) => [i, w / total] as [number, number]);
    });
  const wx = weights(box.w, outW);
  const wy = weights(box.h, outH);
  const out: number[] = [];
  for (let y = 0; y < outH; y++)
    for (let x = 0; x < outW; x++)
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (const [iy, vy] of wy[y]!)
          for (const [ix, vx] of wx[x]!)
            s += vy * vx * (img.data[((box.top + iy) * W + box.left + ix) * C + c] as number);
        out.push(s);
      }
  return out;
}

function run(samples: Sample[], options: Parameters<typeof randomResizedCrop>[0]): Promise<Sample[]> {
  return collect(from(samples).pipe(randomResizedCrop(options)));
}

describe('randomResizedCrop', () => {
  it("resamples bit for bit as Pillow's bilinear resize, shrinking and enlarging", () => {
    const rgb = pattern(7, 9, 3);
    const box = { top: 1, left: 2, h: 5, w: 6 };
    assert.deepEqual(Array.from(resizeBilinear(rgb.data, 9, 3, box, 4, 3)), PILLOW.rgbDown);
    assert.deepEqual(Array.from(resizeBilinear(rgb.data, 9, 3, box, 11, 13)), PILLOW.rgbUp);
    const grey = pattern(6, 5, 1);
    assert.deepEqual(Array.from(resizeBilinear(grey.data, 5, 1, { top: 0, left: 0, h: 6, w: 5 }, 9, 4)), PILLOW.grayUp);
  });

  it('crops the whole image and keeps it when scale and ratio allow nothing else; resizes it to size', async () => {
    const ledger = new RecordingLedger();
    const img = pattern(8, 8, 3);
    const s = ledger.sample('a', { png: img, cls: 3 });
    const [same] = await run([s], { size: 8, scale: [1, 1], ratio: [1, 1], seed: 1 });
    assert.deepEqual(Array.from((same?.png as Image).data), Array.from(img.data));
    assert.equal(same?.[LINEAGE], s[LINEAGE]);
    assert.equal(same?.cls, 3);
    const [big] = await run([s], { size: [12, 10], scale: [1, 1], ratio: [1, 1], seed: 1 });
    assert.deepEqual((big?.png as Image).shape, [12, 10, 3]);
    assert.deepEqual(
      Array.from((big?.png as Image).data),
      Array.from(resizeBilinear(img.data, 8, 3, { top: 0, left: 0, h: 8, w: 8 }, 12, 10)),
    );
    assert.deepEqual(Array.from(s.png.data), Array.from(pattern(8, 8, 3).data), 'the input is not modified');
  });

  it('draws boxes as torchvision: inside the image, within scale and ratio (up to rounding), else the centre fallback (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 1.5, noNaN: true }),
        fc.double({ min: 0.2, max: 3, noNaN: true }),
        fc.double({ min: 0.2, max: 3, noNaN: true }),
        fc.nat(),
        (H, W, s1, s2, r1, r2, seed) => {
          const scale = [Math.min(s1, s2), Math.max(s1, s2)] as const;
          const ratio = [Math.min(r1, r2), Math.max(r1, r2)] as const;
          const box = resizedCropBox(Random.derive(seed), H, W, scale, ratio);
          assert.ok(
            box.top >= 0 && box.left >= 0 && box.h >= 1 && box.w >= 1 && box.top + box.h <= H && box.left + box.w <= W,
            JSON.stringify(box),
          );
          const fallback = centreBox(H, W, ratio);
          if (box.h === fallback.h && box.w === fallback.w && box.top === fallback.top && box.left === fallback.left)
            return;
          // w = round(sqrt(area * r)), h = round(sqrt(area / r)) for some area in scale * H * W and r in ratio
          const area = H * W;
          assert.ok(
            (box.w + 0.5) * (box.h + 0.5) >= scale[0] * area && (box.w - 0.5) * (box.h - 0.5) <= scale[1] * area,
            `area of ${JSON.stringify(box)}`,
          );
          assert.ok(
            (box.w + 0.5) / (box.h - 0.5) >= ratio[0] && (box.w - 0.5) / (box.h + 0.5) <= ratio[1],
            `ratio of ${JSON.stringify(box)}`,
          );
        },
      ),
      { numRuns: 400 },
    );
    assert.deepEqual(centreBox(10, 40, [0.75, 4 / 3]), { top: 0, left: 13, h: 10, w: 13 });
    assert.deepEqual(centreBox(40, 10, [0.75, 4 / 3]), { top: 13, left: 0, h: 13, w: 10 });
    assert.equal(roundHalfEven(2.5), 2);
    assert.equal(roundHalfEven(3.5), 4);
    assert.equal(roundHalfEven(2.4999), 2);
  });

  it('equals a plain double-precision resampling of the drawn box within 1 level, any shape and element type (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 24 }),
        fc.constantFrom(1, 3, 4),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        fc.nat(),
        (H, W, C, oh, ow, seed) => {
          const img = pattern(H, W, C);
          const sample: Sample = {
            __key__: `k${seed}`,
            __url__: 'u',
            png: img,
            f: { data: Float32Array.from(img.data), shape: [H, W, C] } satisfies Image,
          };
          const out: Sample[] = [];
          from([sample])
            .pipe(randomResizedCrop({ size: [oh, ow], seed }))
            .subscribe((s) => out.push(s));
          const u8 = out[0]?.png as Image;
          const f32 = out[0]?.f as Image;
          assert.deepEqual(u8.shape, [oh, ow, C]);
          assert.ok(u8.data instanceof Uint8Array && f32.data instanceof Float32Array);
          // the box the operator used (same generator, same draws)
          const box = resizedCropBox(
            Random.derive(seed, 'random-resized-crop', 0, `k${seed}`),
            H,
            W,
            [0.08, 1],
            [3 / 4, 4 / 3],
          );
          const ref = referenceResize(img, box, oh, ow);
          ref.forEach((v, i) => {
            assert.ok(Math.abs((u8.data[i] as number) - v) <= 1, `u8 ${u8.data[i]} vs ${v}`);
            assert.ok(Math.abs((f32.data[i] as number) - v) <= 1e-3, `f32 ${f32.data[i]} vs ${v}`);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is deterministic per sample (any order), differs per epoch and seed, and gives same-size fields the same box', async () => {
    const ledger = new RecordingLedger();
    const make = (pass: number) =>
      Array.from({ length: 30 }, (_, i) =>
        ledger.sample(`k${i}`, { png: pattern(20, 30, 3), 'mask.png': pattern(20, 30, 3) }, pass),
      );
    const key = (s: Sample) => Array.from((s.png as Image).data).join();
    const byKey = async (items: Sample[], seed: number) =>
      new Map((await run(items, { size: 6, seed })).map((s) => [s.__key__, key(s)]));
    const a = await byKey(make(0), 7);
    assert.deepEqual(await byKey(make(0).reverse(), 7), a);
    const other = await byKey(make(0), 8);
    const nextEpoch = await byKey(make(1), 7);
    assert.ok([...a].filter(([k, v]) => other.get(k) !== v).length > 20);
    assert.ok([...a].filter(([k, v]) => nextEpoch.get(k) !== v).length > 20);
    for (const s of await run(make(0), { size: 6, seed: 7 }))
      assert.deepEqual(Array.from((s['mask.png'] as Image).data), Array.from((s.png as Image).data));
  });

  it('reports a missing, undecoded or empty image through the handler', async () => {
    const ledger = new RecordingLedger();
    await assert.rejects(
      run([ledger.sample('m', { jpg: pattern(2, 2, 1) })], { size: 2, seed: 1, fields: ['png'] }),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field' && e.field === 'png',
    );
    const out = await run(
      [
        ledger.sample('raw', { png: Buffer.from('x') }),
        ledger.sample('empty', { png: { data: new Uint8Array(0), shape: [0, 4, 3] } }),
        ledger.sample('ok', { png: pattern(4, 4, 3) }),
      ],
      { size: 2, seed: 1, fields: ['png'], handler: 'ignoreAndContinue' },
    );
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['ok'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [
        ['m', 'missing-field'],
        ['raw', 'random-resized-crop'],
        ['empty', 'random-resized-crop'],
      ],
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => randomResizedCrop({ size: 0, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a random resized crop as size must be >= 1: current value is 0',
    });
    assert.throws(() => randomResizedCrop({ size: 'big' as never, seed: 1 }), TypeError);
    assert.throws(() => randomResizedCrop({ size: 4, scale: [0.5, 0.1], seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a random resized crop as scale[0] must be <= scale[1]: current value is [0.5,0.1]',
    });
    assert.throws(() => randomResizedCrop({ size: 4, scale: [0, 1], seed: 1 }), /scale\[0\] must be > 0/);
    assert.throws(() => randomResizedCrop({ size: 4, ratio: [1] as never, seed: 1 }), TypeError);
    assert.throws(() => randomResizedCrop({ size: 4, ratio: [-1, 1], seed: 1 }), RangeError);
    assert.throws(() => randomResizedCrop({ size: 4, ratio: [1, Number.NaN], seed: 1 }), TypeError);
    assert.throws(() => randomResizedCrop({ size: 4, seed: 1.5 }), RangeError);
    assert.throws(() => randomResizedCrop(null as never), TypeError);
    let picked: number | undefined;
    randomResizedCrop({ size: 4, onSeed: (s) => (picked = s) });
    assert.equal(typeof picked, 'number');
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        randomResizedCrop({ size: 2, seed: 1 }),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', png: pattern(4, 4, 3) });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', png: pattern(4, 4, 3) });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
    assert.equal(subject.observed, false);
  });
});
