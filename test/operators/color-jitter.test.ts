import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize, firstValueFrom, from, toArray, type Observable } from 'rxjs';
import { colorJitter, type ColorJitterOptions } from '../../operators/color-jitter.js';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  grayscale3,
} from '../../operators/image/color-ops.js';
import { SampleError } from '../../sources/errors.js';
import type { Image, Sample } from '../../sources/sample.js';
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

/** Pillow 9.4 on the 3x4 RGB pattern: ImageEnhance.Brightness/Contrast/Color(img).enhance(f), and torchvision's adjust_hue on PIL. */
const PILLOW: Record<string, number[]> = {
  'brightness 1.3': [
    0, 68, 137, 118, 187, 255, 236, 255, 41, 22, 91, 159, 48, 116, 185, 183, 252, 255, 255, 54, 123, 120, 189, 255, 96,
    165, 233, 248, 255, 53, 67, 136, 205, 219, 255, 24,
  ],
  'brightness 0.6': [
    0, 31, 63, 54, 86, 118, 109, 141, 19, 10, 42, 73, 22, 54, 85, 84, 116, 148, 147, 25, 57, 55, 87, 119, 44, 76, 108,
    114, 146, 24, 31, 63, 94, 101, 133, 11,
  ],
  'contrast 1.4': [
    0, 22, 96, 75, 150, 224, 203, 255, 0, 0, 46, 120, 0, 74, 148, 145, 220, 255, 255, 7, 81, 78, 152, 227, 52, 126, 200,
    215, 255, 5, 21, 95, 169, 185, 255, 0,
  ],
  'contrast 0.5': [
    64, 91, 117, 110, 136, 163, 155, 182, 80, 73, 99, 126, 83, 109, 136, 135, 161, 188, 187, 85, 112, 111, 137, 164,
    101, 128, 154, 160, 186, 85, 90, 117, 143, 149, 175, 74,
  ],
  'saturation 1.7': [
    0, 60, 150, 60, 151, 241, 172, 255, 0, 0, 77, 167, 6, 97, 187, 110, 201, 255, 255, 0, 85, 62, 153, 243, 43, 134,
    224, 181, 255, 0, 21, 112, 202, 159, 249, 0,
  ],
  'saturation 0.2': [
    34, 45, 55, 125, 136, 146, 193, 203, 163, 51, 62, 72, 71, 82, 92, 175, 186, 196, 136, 95, 106, 127, 138, 148, 108,
    119, 129, 202, 212, 172, 86, 97, 107, 180, 190, 150,
  ],
  'hue 0.1': [
    7, 0, 106, 99, 91, 197, 66, 235, 32, 25, 17, 123, 44, 37, 143, 149, 141, 247, 245, 100, 42, 101, 94, 199, 82, 74,
    180, 75, 244, 41, 60, 52, 158, 53, 222, 19,
  ],
  'hue -0.23': [
    0, 106, 12, 91, 197, 104, 235, 32, 51, 17, 123, 30, 37, 143, 49, 141, 247, 154, 114, 42, 245, 94, 199, 106, 74, 180,
    87, 244, 41, 60, 52, 158, 65, 222, 19, 38,
  ],
  'hue 0': [
    0, 55, 106, 91, 146, 197, 185, 235, 32, 17, 72, 123, 37, 92, 143, 141, 196, 247, 245, 42, 100, 94, 148, 199, 74,
    129, 180, 194, 244, 41, 52, 107, 158, 172, 222, 19,
  ], // the 8-bit HSV round trip alone is lossy
};
/** Pillow: ImageEnhance.Contrast on the 3x4 grey pattern, 1.4. */
const PILLOW_GREY_CONTRAST = [0, 84, 211, 0, 8, 154, 255, 87, 60, 224, 29, 193];

function jitterOnce(img: Image, options: ColorJitterOptions, key = 'k'): Image {
  const out: Sample[] = [];
  from([{ __key__: key, __url__: 'u', png: img }])
    .pipe(colorJitter({ p: 1, seed: 1, ...options }))
    .subscribe((s) => out.push(s));
  return out[0]?.png as Image;
}

describe('colorJitter', () => {
  it('reproduces Pillow (what torchvision runs on PIL images) bit for bit, one adjustment at a time', () => {
    const img = pattern(3, 4, 3);
    for (const [name, expected] of Object.entries(PILLOW)) {
      const [op, f] = name.split(' ') as [string, string];
      if (name === 'hue 0') {
        // a [0, 0] hue range is "no hue jitter" (as torchvision's None): check the adjustment itself
        const d = (img.data as Uint8Array).slice();
        adjustHue(d, 0);
        assert.deepEqual(Array.from(d), expected, name);
        continue;
      }
      const out = jitterOnce(img, { [op]: [Number(f), Number(f)] });
      assert.deepEqual(Array.from(out.data), expected, name);
      assert.deepEqual(out.shape, [3, 4, 3]);
    }
    assert.deepEqual(Array.from(jitterOnce(pattern(3, 4, 1), { contrast: [1.4, 1.4] }).data), PILLOW_GREY_CONTRAST);
    assert.deepEqual(Array.from(img.data), Array.from(pattern(3, 4, 3).data), 'the input is not modified');
  });

  it('leaves images as they are with factor 1 (brightness), or with nothing to jitter, or p = 0', async () => {
    const img = pattern(5, 6, 3);
    assert.deepEqual(Array.from(jitterOnce(img, { brightness: [1, 1], hue: [0, 0] }).data), Array.from(img.data));
    const s: Sample = { __key__: 'a', __url__: 'u', png: img };
    assert.equal((await collect(from([s]).pipe(colorJitter({ seed: 1, p: 1 }))))[0], s, 'no factor: the sample itself');
    assert.equal((await collect(from([s]).pipe(colorJitter({ brightness: 0.4, seed: 1, p: 0 }))))[0], s);
  });

  it('applies the four adjustments in a random order per sample, with factors in their ranges (property)', () => {
    const perms = (xs: number[]): number[][] =>
      xs.length <= 1
        ? [xs]
        : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
    const apply = (img: Image, order: number[], f: number[]) => {
      const d = img.data.slice() as Uint8Array;
      for (const op of order)
        [
          () => adjustBrightness(d, f[0]!),
          () => adjustContrast(d, 3, f[1]!),
          () => adjustSaturation(d, f[2]!),
          () => adjustHue(d, f[3]!),
        ][op]!();
      return Array.from(d).join();
    };
    const orders = new Set<string>();
    // (a factor of exactly 1, or a hue of 0, means "no such adjustment", as in torchvision)
    const factor = (min: number, max: number) =>
      fc
        .integer({ min: min * 1000, max: max * 1000 })
        .map((x) => x / 1000)
        .filter((x) => x !== 1 && x !== 0);
    fc.assert(
      fc.property(factor(0, 3), factor(0, 3), factor(0, 3), factor(-0.5, 0.5), fc.nat(), (b, c, s, h, seed) => {
        const img = pattern(4, 5, 3);
        const f = [b, c, s, h];
        const out = Array.from(
          jitterOnce(img, { brightness: [b, b], contrast: [c, c], saturation: [s, s], hue: [h, h] }, `k${seed}`).data,
        ).join();
        const matching = perms([0, 1, 2, 3]).filter((order) => apply(img, order, f) === out);
        assert.ok(matching.length > 0, 'the output is the four adjustments in some order');
        if (matching.length === 1) orders.add(matching[0]!.join());
      }),
      { numRuns: 120 },
    );
    assert.ok(orders.size >= 6, `orders seen: ${orders.size}`);
    // brightness drawn in [max(0, 1 - b), 1 + b]: a black/white test image shows the factor
    const white: Image = { data: new Uint8Array(30).fill(100), shape: [2, 5, 3] };
    for (let i = 0; i < 100; i++) {
      const v = jitterOnce(white, { brightness: 0.4 }, `w${i}`).data[0] as number;
      assert.ok(v >= 59 && v <= 140, `${v}`);
    }
  });

  it('with saturation 0 gives the luma in every channel, as randomGrayscale (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 3, maxLength: 60 }).filter((a) => a.length % 3 === 0),
        (data) => {
          const img: Image = { data, shape: [1, data.length / 3, 3] };
          assert.deepEqual(
            Array.from(jitterOnce(img, { saturation: [0, 0] }).data),
            Array.from(grayscale3(data, new Uint8Array(data.length))),
          );
        },
      ),
    );
  });

  it('saturates large images through its table exactly as pixel by pixel', () => {
    const big = pattern(160, 170, 3); // > 65536 values: the table path
    const whole = big.data.slice() as Uint8Array;
    adjustSaturation(whole, 1.77);
    const rows = big.data.slice() as Uint8Array;
    for (let y = 0; y < 160; y++) adjustSaturation(rows.subarray(y * 170 * 3, (y + 1) * 170 * 3), 1.77); // small: pixel by pixel
    assert.deepEqual(whole, rows);
    assert.notDeepEqual(whole, big.data);
  });

  it('gives 1-channel images brightness and contrast only', () => {
    const grey = pattern(3, 4, 1);
    assert.deepEqual(Array.from(jitterOnce(grey, { saturation: [2, 2], hue: [0.3, 0.3] }).data), Array.from(grey.data));
    const brighter = jitterOnce(grey, { brightness: [1.5, 1.5], saturation: [2, 2] });
    assert.deepEqual(
      Array.from(brighter.data),
      Array.from(grey.data, (v) => Math.min(255, Math.trunc(Math.fround(Math.fround(1.5) * v)))),
    );
  });

  it('is deterministic per sample (any order), differs per seed and epoch, respects p, and jitters all fields of a sample alike', async () => {
    const ledger = new RecordingLedger();
    const make = (pass: number) =>
      Array.from({ length: 200 }, (_, i) =>
        ledger.sample(`k${i}`, { png: pattern(4, 4, 3), 'b.png': pattern(4, 4, 3) }, pass),
      );
    const opts = { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 };
    const byKey = async (items: Sample[], seed: number, p = 0.8) =>
      new Map(
        (await collect(from(items).pipe(colorJitter({ ...opts, seed, p })))).map((s) => [
          s.__key__,
          Array.from((s.png as Image).data).join(),
        ]),
      );
    const a = await byKey(make(0), 1);
    assert.deepEqual(await byKey(make(0).reverse(), 1), a);
    const b = await byKey(make(0), 2);
    const c = await byKey(make(1), 1);
    assert.ok([...a].filter(([k, v]) => b.get(k) !== v).length > 100);
    assert.ok([...a].filter(([k, v]) => c.get(k) !== v).length > 100);
    const unchanged = [...a.values()].filter((v) => v === Array.from(pattern(4, 4, 3).data).join()).length;
    assert.ok(unchanged > 20 && unchanged < 60, `${unchanged} of 200 unchanged at p = 0.8`);
    for (const s of await collect(from(make(0)).pipe(colorJitter({ ...opts, seed: 3 }))))
      assert.deepEqual(Array.from(s['b.png'].data), Array.from(s.png.data));
  });

  it('reports float, 4-channel, missing and undecoded images through the handler', async () => {
    const ledger = new RecordingLedger();
    const opts = { brightness: 0.5, p: 1, seed: 1, handler: 'ignoreAndContinue' } as const;
    const out = await collect(
      from([
        ledger.sample('f', { png: { data: new Float32Array(12), shape: [2, 2, 3] } }),
        ledger.sample('rgba', { png: pattern(2, 2, 4) }),
        ledger.sample('ok', { png: pattern(2, 2, 3) }),
      ]).pipe(colorJitter(opts)),
    );
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['ok'],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [
        ['f', 'color-jitter'],
        ['rgba', 'color-jitter'],
      ],
    );
    assert.match(String((ledger.skipped[0]?.error as Error).message), /8-bit pixels \(put it before normalize\)/);
    await assert.rejects(
      collect(
        from([ledger.sample('m', { jpg: pattern(2, 2, 3) })]).pipe(
          colorJitter({ brightness: 0.5, seed: 1, fields: ['png'] }),
        ),
      ),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field',
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => colorJitter({ brightness: -0.1, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a color jitter as brightness must be a finite number >= 0: current value is -0.1',
    });
    assert.throws(() => colorJitter({ contrast: [1.5, 0.5], seed: 1 }), /contrast\[0\] must be <= contrast\[1\]/);
    assert.throws(() => colorJitter({ saturation: 'x' as never, seed: 1 }), TypeError);
    assert.throws(() => colorJitter({ hue: 0.6, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a color jitter as hue must be in [0, 0.5]: current value is 0.6',
    });
    assert.throws(() => colorJitter({ hue: [-0.7, 0], seed: 1 }), RangeError);
    assert.throws(() => colorJitter({ p: 1.2, seed: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a color jitter as p must be in [0, 1]: current value is 1.2',
    });
    assert.throws(() => colorJitter({ p: -0.1, seed: 1 }), RangeError);
    assert.throws(() => colorJitter({ seed: 2 ** 32 }), RangeError);
    assert.throws(() => colorJitter({ seed: 1, fields: [] }), TypeError);
  });

  it('releases its source on early unsubscribe', () => {
    const subject = new Subject<Sample>();
    let finalized = false;
    const seen: Sample[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        colorJitter({ brightness: 0.4, seed: 1 }),
      )
      .subscribe((s) => seen.push(s));
    subject.next({ __key__: 'a', __url__: 'u', png: pattern(2, 2, 3) });
    sub.unsubscribe();
    subject.next({ __key__: 'b', __url__: 'u', png: pattern(2, 2, 3) });
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
    assert.equal(subject.observed, false);
  });
});
