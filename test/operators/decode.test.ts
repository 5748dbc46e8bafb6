import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { encode as encodePng } from 'fast-png';
import { firstValueFrom, from, take, toArray, type Observable } from 'rxjs';
import sharp from 'sharp';
import { decode, type DecodeOptions } from '../../operators/decode.js';
import { decodeImage } from '../../operators/internal/image-decoders.js';
import { SampleError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import type { HandlerName } from '../../sources/handlers.js';
import { createLoader } from '../../sources/loader.js';
import { LINEAGE, type Image, type Sample } from '../../sources/sample.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { at } from '../helpers/at.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';
import { tempDir } from '../helpers/temp-dir.js';

// dist-test/test/operators -> test/fixtures/images
const FIXTURES = new URL('../../../test/fixtures/images/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

/** Decodes hand-made samples (no lineage) and returns them. */
async function run(samples: Record<string, unknown>[], options: DecodeOptions = {}): Promise<Sample[]> {
  const input = samples.map((s, i) => ({ __key__: `k${i}`, __url__: 'mem://t.tar', ...s }));
  return collect(from(input).pipe(decode(options)));
}

async function decodeOne(field: string, bytes: Uint8Array, options: DecodeOptions = {}): Promise<unknown> {
  const [out] = await run([{ [field]: bytes }], options);
  return out?.[field];
}

/** sharp's own decode of the bytes, as the reference. */
async function sharpPixels(bytes: Uint8Array, colourspace?: 'b-w'): Promise<Image> {
  let p = sharp(bytes);
  if (colourspace) p = p.toColourspace(colourspace);
  const { data, info } = await p.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), shape: [info.height, info.width, info.channels] };
}

function assertImage(actual: unknown, expected: Image, label = ''): void {
  const img = actual as Image;
  assert.ok(img && img.data instanceof Uint8Array, `${label}: not an Image`);
  assert.deepEqual(img.shape, expected.shape, label);
  assert.ok(Buffer.from(img.data).equals(Buffer.from(expected.data)), `${label}: pixels differ`);
}

// ---- a PNG writer with every filter type, so the fast path's unfilter is tested against ground truth ----

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0);
  return Buffer.concat([head, data, crc]);
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };
function channels(colorType: number): number {
  const n = CHANNELS[colorType];
  if (n === undefined) throw new RangeError(`Cannot use PNG colour type ${colorType} as it is not 0, 2, 4 or 6`);
  return n;
}

interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 4 | 6;
  pixels: Uint8Array;
  /** Filter type per row (cycled). */
  filters?: readonly number[];
  /** Split the zlib stream into this many IDAT chunks. */
  idatParts?: number;
  /** Chunks inserted before the first IDAT. */
  extra?: readonly Buffer[];
  /** IHDR size override (for bombs). */
  claim?: { width: number; height: number };
}

function makePng(spec: PngSpec): Buffer {
  const bpp = channels(spec.colorType);
  const stride = spec.width * bpp;
  const raw = Buffer.alloc(spec.height * (stride + 1));
  const filters = spec.filters ?? [0];
  const px = spec.pixels;
  for (let y = 0; y < spec.height; y++) {
    const f = at(filters, y % filters.length);
    raw[y * (stride + 1)] = f;
    for (let x = 0; x < stride; x++) {
      const v = at(px, y * stride + x);
      const a = x >= bpp ? at(px, y * stride + x - bpp) : 0;
      const b = y > 0 ? at(px, (y - 1) * stride + x) : 0;
      const c = x >= bpp && y > 0 ? at(px, (y - 1) * stride + x - bpp) : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      raw[y * (stride + 1) + 1 + x] = (v - pred) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.claim?.width ?? spec.width, 0);
  ihdr.writeUInt32BE(spec.claim?.height ?? spec.height, 4);
  ihdr[8] = 8;
  ihdr[9] = spec.colorType;
  const z = deflateSync(raw);
  const parts = Math.max(1, Math.min(spec.idatParts ?? 1, z.length));
  const idat: Buffer[] = [];
  for (let i = 0; i < parts; i++)
    idat.push(chunk('IDAT', z.subarray(Math.floor((i * z.length) / parts), Math.floor(((i + 1) * z.length) / parts))));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(spec.extra ?? []),
    ...idat,
    chunk('IEND', new Uint8Array()),
  ]);
}

const FAST = { maxPixels: 1 << 26, fastPngMaxPixels: 1 << 20, jpegTurbo: null } as const;
const SHARP = { maxPixels: 1 << 26, fastPngMaxPixels: 0, jpegTurbo: null } as const;

describe('decode', () => {
  it('decodes a real Fashion-MNIST PNG to its exact pixels, on the synchronous fast path', async () => {
    const png = fixture('fmnist-0.png');
    const raw = new Uint8Array(fixture('fmnist-0.raw'));
    assertImage(await decodeOne('png', png), { data: raw, shape: [28, 28, 1] }, 'keep');
    assert.ok(!(decodeImage(png, { mode: 'keep', ...FAST }) instanceof Promise), 'the fast path was not taken');
    const rgb = new Uint8Array(28 * 28 * 3).map((_, i) => at(raw, Math.floor(i / 3)));
    assertImage(await decodeOne('png', png, { image: 'rgb' }), { data: rgb, shape: [28, 28, 3] }, 'rgb');
    assertImage(
      await decodeOne('png', png, { image: 'rgb', fastPngMaxPixels: 0 }),
      { data: rgb, shape: [28, 28, 3] },
      'rgb by sharp',
    );
    assertImage(await decodeOne('png', png, { image: 'gray' }), { data: raw, shape: [28, 28, 1] }, 'gray');
  });

  it('decodes JPEG and WebP through sharp, and PGM/PPM exactly', async () => {
    const jpg = fixture('baboon-48x32.jpg');
    assertImage(await decodeOne('jpg', jpg), await sharpPixels(jpg), 'jpg');
    assertImage(await decodeOne('jpeg', jpg, { image: 'gray' }), await sharpPixels(jpg, 'b-w'), 'jpeg gray');
    const webp = fixture('baboon-24x16.webp');
    const w = (await decodeOne('webp', webp)) as Image;
    assert.deepEqual(w.shape, [16, 24, 3]);
    assertImage(w, await sharpPixels(webp), 'webp');
    const lossless = await sharp(new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80]), {
      raw: { width: 2, height: 1, channels: 4 },
    })
      .webp({ lossless: true })
      .toBuffer();
    assertImage(
      await decodeOne('webp', lossless),
      { data: new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80]), shape: [1, 2, 4] },
      'lossless rgba webp',
    );
    assertImage(
      await decodeOne('webp', lossless, { image: 'rgb' }),
      { data: new Uint8Array([10, 20, 30, 50, 60, 70]), shape: [1, 2, 3] },
      'webp as rgb',
    );
    assertImage(
      await decodeOne('pgm', fixture('ramp-4x2.pgm')),
      { data: new Uint8Array([0, 50, 100, 150, 200, 250, 255, 1]), shape: [2, 4, 1] },
      'pgm',
    );
    const ppm = fixture('rgb-2x2.ppm');
    assertImage(
      await decodeOne('ppm', ppm),
      { data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]), shape: [2, 2, 3] },
      'ppm',
    );
    const grey = await sharp(new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]), {
      raw: { width: 2, height: 2, channels: 3 },
    })
      .toColourspace('b-w')
      .raw()
      .toBuffer();
    assertImage(
      await decodeOne('ppm', ppm, { image: 'gray' }),
      { data: new Uint8Array(grey), shape: [2, 2, 1] },
      'ppm gray',
    );
    const pgm16 = Buffer.concat([Buffer.from('P5 2 1 1000\n'), Buffer.from([0, 0, 0x03, 0xe8])]);
    assertImage(
      await decodeOne('pgm', pgm16, { image: 'rgb' }),
      { data: new Uint8Array([0, 0, 0, 255, 255, 255]), shape: [1, 2, 3] },
      'pgm 16-bit as rgb',
    );
  });

  it('decodes cls, txt and json, and leaves other fields and non-byte values alone', async () => {
    const bin = new Uint8Array([1, 2, 3]);
    const [out] = await run([
      {
        cls: Buffer.from(' 7\n'),
        class: Buffer.from('-2'),
        txt: Buffer.from('héllo'),
        json: Buffer.from('{"a":[1,2]}'),
        bin,
        'seg.bin': bin,
        already: 3,
        index: 5,
      },
    ]);
    assert.equal(out?.cls, 7);
    assert.equal(out?.class, -2);
    assert.equal(out?.txt, 'héllo');
    assert.deepEqual(out?.json, { a: [1, 2] });
    assert.equal(out?.bin, bin);
    assert.equal(out?.['seg.bin'], bin);
    assert.equal(out?.already, 3);
    assert.equal(out?.index, 5);
    assert.equal(out?.__key__, 'k0');
    assert.equal(out?.__url__, 'mem://t.tar');
    // Decoding twice changes nothing more.
    const [again] = await collect(from([out]).pipe(decode()));
    assert.deepEqual(again, out);
  });

  it('gunzips a .gz field, then decodes it by the extension before .gz', async () => {
    const png = fixture('fmnist-0.png');
    const [out] = await run([
      {
        'json.gz': gzipSync('{"b":true}'),
        'png.gz': gzipSync(png),
        'cls.gz': gzipSync('4'),
        'bin.gz': gzipSync('x'),
        'txt.gz.gz': gzipSync(gzipSync('twice')),
      },
    ]);
    assert.deepEqual(out?.['json.gz'], { b: true });
    assertImage(out?.['png.gz'], { data: new Uint8Array(fixture('fmnist-0.raw')), shape: [28, 28, 1] });
    assert.equal(out?.['cls.gz'], 4);
    assert.ok(Buffer.from(out?.['bin.gz'] as Uint8Array).equals(gzipSync('x')), 'no decoder for bin: left compressed');
    assert.equal(out?.['txt.gz.gz'], 'twice');
    // Large fields are inflated off the main thread, with the same result.
    const big = { n: 'x'.repeat(200_000) };
    assert.deepEqual(await decodeOne('json.gz', gzipSync(JSON.stringify(big))), big);
  });

  it('refuses a gzip bomb above maxGunzipBytes, and corrupt gzip data', async () => {
    const bomb = gzipSync(Buffer.alloc(2_000_000));
    await assert.rejects(decodeOne('txt.gz', bomb, { maxGunzipBytes: 1_000_000 }), (e: unknown) => {
      assert.ok(e instanceof SampleError);
      assert.equal(e.reason, 'decode');
      assert.equal(e.field, 'txt.gz');
      assert.match(e.message, /maxGunzipBytes \(1000000\)/);
      return true;
    });
    await assert.rejects(decodeOne('txt.gz', Buffer.from('not gzip')), /corrupt gzip/);
  });

  it('lets user decoders take precedence, by full name or extension, with fall-back and opt-out', async () => {
    const png = fixture('fmnist-0.png');
    const seen: string[] = [];
    const [out] = await run(
      [
        {
          png,
          'mask.png': png,
          seg: Buffer.from('abc'),
          'seg.gz': gzipSync('zz'),
          json: Buffer.from('{}'),
          'x.npy': Buffer.from([1]),
          cls: Buffer.from('1'),
        },
      ],
      {
        decoders: {
          'mask.png': (bytes, field, sample) => {
            seen.push(`${field}:${sample.__key__}`);
            return bytes.length;
          },
          seg: (bytes) => Buffer.from(bytes).toString().toUpperCase(),
          json: null,
          npy: async (bytes) => ({ first: bytes[0] }),
          cls: () => undefined, // not mine: the built-in decodes it
        },
      },
    );
    assert.equal((out?.png as Image).shape[2], 1);
    assert.equal(out?.['mask.png'], png.length);
    assert.deepEqual(seen, ['mask.png:k0']);
    assert.equal(out?.seg, 'ABC');
    assert.equal(out?.['seg.gz'], 'ZZ');
    assert.ok(Buffer.isBuffer(out?.json), 'json: null leaves the bytes');
    assert.deepEqual(out?.['x.npy'], { first: 1 });
    assert.equal(out?.cls, 1);
  });

  it('reports a throwing user decoder as a decode error naming the field', async () => {
    await assert.rejects(
      decodeOne('seg', Buffer.from('a'), {
        decoders: {
          seg: () => {
            throw new Error('nope');
          },
        },
      }),
      (e: unknown) => {
        assert.ok(e instanceof SampleError);
        assert.equal(e.reason, 'decode');
        assert.equal(e.field, 'seg');
        assert.equal(e.key, 'k0');
        assert.match(e.message, /nope/);
        return true;
      },
    );
  });

  it('matches extensions case-insensitively on hand-made samples, keeping the field name', async () => {
    const [out] = await run([{ PNG: fixture('fmnist-0.png'), 'Label.CLS': Buffer.from('3'), Seg: Buffer.from('q') }], {
      decoders: { SEG: () => 'mine' },
    });
    assert.deepEqual((out?.PNG as Image).shape, [28, 28, 1]);
    assert.equal(out?.['Label.CLS'], 3);
    assert.equal(out?.Seg, 'mine');
    assert.equal(out?.png, undefined);
  });

  it('fails corrupt, truncated and empty images with a decode SampleError naming url, key and field', async () => {
    const png = fixture('fmnist-0.png');
    const flipped = Buffer.from(png);
    for (let i = 60; i < 120; i++) flipped[i] = at(flipped, i) ^ 0x5a;
    const jpg = fixture('baboon-48x32.jpg');
    const cases: [string, string, Uint8Array, RegExp][] = [
      ['png', 'corrupt IDAT', flipped, /corrupt PNG|read error/i],
      ['png', 'truncated', png.subarray(0, 100), /truncated PNG/],
      ['png', 'empty', new Uint8Array(0), /empty/],
      ['jpg', 'empty', new Uint8Array(0), /empty/],
      ['jpg', 'truncated', jpg.subarray(0, Math.floor(jpg.length * 0.6)), /./],
      [
        'jpg',
        'garbage',
        Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(64, 7)]),
        /(corrupt|truncated) JPEG/,
      ],
      ['webp', 'garbage', Buffer.from('RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'), /corrupt WebP/],
      ['jpg', 'not an image', Buffer.from('hello, world'), /./],
      ['pgm', 'truncated', Buffer.from('P5 4 4 255\n\x01\x02'), /truncated PGM/],
    ];
    for (const [field, label, bytes, message] of cases) {
      for (const options of [{}, { fastPngMaxPixels: 0 }]) {
        await assert.rejects(decodeOne(field, bytes, options), (e: unknown) => {
          assert.ok(e instanceof SampleError, `${field} ${label}: ${String(e)}`);
          assert.equal(e.reason, 'decode');
          assert.equal(e.url, 'mem://t.tar');
          assert.equal(e.key, 'k0');
          assert.equal(e.field, field);
          assert.match(e.message, message, `${field} ${label}`);
          return true;
        });
      }
    }
    await assert.rejects(decodeOne('cls', Buffer.from('3.5')), /not an integer/);
    await assert.rejects(
      decodeOne('json', Buffer.from('{bad')),
      (e: unknown) => e instanceof SampleError && e.reason === 'decode' && e.field === 'json',
    );
    await assert.rejects(
      decodeOne('txt', Buffer.from([0xff, 0xfe, 0xfd])),
      (e: unknown) => e instanceof SampleError && e.field === 'txt',
    );
  });

  it('refuses decompression bombs from the header, before decoding', async () => {
    const bombPng = makePng({
      width: 1,
      height: 1,
      colorType: 0,
      pixels: new Uint8Array(1),
      claim: { width: 100_000, height: 100_000 },
    });
    assert.ok(bombPng.length < 100);
    const jpg = Buffer.from(fixture('baboon-48x32.jpg'));
    const sof = jpg.indexOf(Buffer.from([0xff, 0xc0]));
    assert.ok(sof > 0);
    jpg.writeUInt16BE(60_000, sof + 5);
    jpg.writeUInt16BE(60_000, sof + 7);
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'latin1');
    webp.writeUInt32LE(22, 4);
    webp.write('WEBPVP8X', 8, 'latin1');
    webp.writeUInt32LE(10, 16);
    webp.writeUIntLE(99_999, 24, 3);
    webp.writeUIntLE(99_999, 27, 3);
    const pgm = Buffer.from('P5 100000 100000 255\n');
    for (const [field, bytes, pixels] of [
      ['png', bombPng, 1e10],
      ['jpg', jpg, 3.6e9],
      ['webp', webp, 1e10],
      ['pgm', pgm, 1e10],
    ] as const) {
      for (const options of [{}, { fastPngMaxPixels: 0 }]) {
        await assert.rejects(decodeOne(field, bytes, options), (e: unknown) => {
          assert.ok(e instanceof SampleError, String(e));
          assert.equal(e.reason, 'decode');
          assert.match(
            e.message,
            new RegExp(`= ${pixels} pixels, more than maxPixels \\(67108864\\); refused before decoding`),
          );
          return true;
        });
      }
    }
    // The cap is an option: a 28 x 28 image is refused under maxPixels 100, by both paths.
    await assert.rejects(
      decodeOne('png', fixture('fmnist-0.png'), { maxPixels: 100 }),
      /784 pixels, more than maxPixels \(100\)/,
    );
    await assert.rejects(
      decodeOne('jpg', fixture('baboon-48x32.jpg'), { maxPixels: 100 }),
      /1536 pixels, more than maxPixels \(100\)/,
    );
  });

  it('property: the fast PNG path gives the same pixels as sharp, and as the encoded ones, for every filter', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 13 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(0 as const, 2 as const, 4 as const, 6 as const),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 9 }),
        fc.integer({ min: 1, max: 3 }),
        fc.uint8Array({ minLength: 13 * 9 * 4, maxLength: 13 * 9 * 4 }),
        fc.constantFrom(3, 255), // few distinct values make the Paeth predictor's ties frequent
        async (width, height, colorType, filters, idatParts, noise, mask) => {
          const pixels = noise.subarray(0, width * height * channels(colorType)).map((v) => v & mask);
          const png = makePng({ width, height, colorType, pixels, filters, idatParts });
          const keep = decodeImage(png, { mode: 'keep', ...FAST });
          assert.ok(!(keep instanceof Promise), 'fast path not taken');
          assertImage(keep, { data: pixels, shape: [height, width, channels(colorType)] }, 'fast keep vs encoded');
          for (const mode of ['keep', 'rgb', 'gray'] as const) {
            assertImage(
              await decodeImage(png, { mode, ...FAST }),
              await decodeImage(png, { mode, ...SHARP }),
              `fast vs sharp ${mode}`,
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('leaves PNGs with palette, transparency or 16 bits to sharp, with the channels of the file', async () => {
    const palette = Buffer.from(
      encodePng({
        width: 2,
        height: 1,
        data: new Uint8Array([0, 1]),
        channels: 1,
        depth: 8,
        palette: [
          [255, 0, 0],
          [0, 0, 255],
        ],
      }),
    );
    assert.ok(decodeImage(palette, { mode: 'keep', ...FAST }) instanceof Promise);
    assertImage(
      await decodeOne('png', palette),
      { data: new Uint8Array([255, 0, 0, 0, 0, 255]), shape: [1, 2, 3] },
      'palette',
    );
    const deep = Buffer.from(
      encodePng({ width: 2, height: 1, data: new Uint16Array([0, 65535]), channels: 1, depth: 16 }),
    );
    assertImage(await decodeOne('png', deep), { data: new Uint8Array([0, 255]), shape: [1, 2, 1] }, '16-bit');
    // Grey with a tRNS chunk (grey value 9 is transparent): 'keep' gives grey + alpha.
    const trns = Buffer.from([0, 9]);
    const keyed = makePng({
      width: 2,
      height: 1,
      colorType: 0,
      pixels: new Uint8Array([9, 200]),
      extra: [chunk('tRNS', trns)],
    });
    assertImage(
      await decodeOne('png', keyed),
      { data: new Uint8Array([9, 0, 200, 255]), shape: [1, 2, 2] },
      'grey + tRNS',
    );
    // Grey + alpha by sharp equals the fast path.
    const ga = makePng({
      width: 3,
      height: 2,
      colorType: 4,
      pixels: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
    });
    assertImage(
      await decodeOne('png', ga, { fastPngMaxPixels: 0 }),
      { data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), shape: [2, 3, 2] },
      'grey + alpha',
    );
    assertImage(
      await decodeOne('png', ga, { image: 'rgb' }),
      { data: new Uint8Array([1, 1, 1, 3, 3, 3, 5, 5, 5, 7, 7, 7, 9, 9, 9, 11, 11, 11]), shape: [2, 3, 3] },
      'grey + alpha as rgb',
    );
  });

  it('keeps input order and identity with mixed fast and slow decodes, deterministically', async () => {
    const ledger = new RecordingLedger();
    const png = fixture('fmnist-0.png');
    const jpg = fixture('baboon-48x32.jpg');
    const make = () =>
      Array.from({ length: 24 }, (_, i) =>
        ledger.sample(
          `s${i}`,
          i % 3 === 0 ? { jpg, cls: Buffer.from(String(i)) } : { png, cls: Buffer.from(String(i)) },
        ),
      );
    const input = make();
    const a = await collect(from(input).pipe(decode({ concurrency: 3 })));
    const b = await collect(from(make()).pipe(decode({ concurrency: 5 })));
    assert.deepEqual(
      a.map((s) => s.__key__),
      input.map((s) => s.__key__),
    );
    assert.deepEqual(
      a.map((s) => s.cls),
      input.map((_, i) => i),
    );
    a.forEach((s, i) => assert.equal(s[LINEAGE], input[i]?.[LINEAGE]));
    assert.deepEqual(
      a.map((s) => Buffer.from((s.png ?? s.jpg).data).toString('base64')),
      b.map((s) => Buffer.from((s.png ?? s.jpg).data).toString('base64')),
    );
  });

  it('stops decoding on early unsubscribe', async () => {
    const jpg = fixture('baboon-48x32.jpg');
    const input = Array.from({ length: 50 }, (_, i) => ({ __key__: `j${i}`, __url__: 'mem://t.tar', jpg }));
    const out = await collect(from(input).pipe(decode({ concurrency: 2 }), take(2)));
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['j0', 'j1'],
    );
  });

  it('counts skipped samples in the loader accounting under each handler', async () => {
    const dir = tempDir();
    const writer = new ShardWriter(join(dir, 'shard-%03d.tar'), { maxSamples: 5 });
    const png = fixture('fmnist-0.png');
    const bad = new Set([3, 7, 8]);
    for (let i = 0; i < 12; i++) {
      await writer.write({
        __key__: `s${String(i).padStart(2, '0')}`,
        png: bad.has(i) ? png.subarray(0, 50) : png,
        cls: i,
        json: { i },
      });
    }
    const shards = await writer.close();
    const good = Array.from({ length: 12 }, (_, i) => i).filter((i) => !bad.has(i));
    const expectations: Record<HandlerName, { yielded: number[]; skipped: number; throws: boolean }> = {
      reraise: { yielded: [0, 1, 2], skipped: 1, throws: true },
      warnAndContinue: { yielded: good, skipped: 3, throws: false },
      ignoreAndContinue: { yielded: good, skipped: 3, throws: false },
      warnAndStop: { yielded: [0, 1, 2], skipped: 1, throws: false },
      ignoreAndStop: { yielded: [0, 1, 2], skipped: 1, throws: false },
    };
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (const [handler, expected] of Object.entries(expectations) as [
        HandlerName,
        (typeof expectations)[HandlerName],
      ][]) {
        warnings.length = 0;
        const it = createLoader(fromShards(shards, { seed: 1 }), decode({ handler, concurrency: 2 })).iterate();
        const got: Sample[] = [];
        let thrown: unknown;
        try {
          for await (const s of it) got.push(s);
        } catch (e) {
          thrown = e;
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
        assert.deepEqual(
          got.map((s) => s.cls),
          expected.yielded,
          handler,
        );
        assert.deepEqual(
          got.map((s) => s.json),
          expected.yielded.map((i) => ({ i })),
          handler,
        );
        got.forEach((s) => assert.deepEqual((s.png as Image).shape, [28, 28, 1]));
        const acc = it.accounting();
        assert.equal(acc.yielded, expected.yielded.length, handler);
        assert.deepEqual(acc.skipped, { decode: expected.skipped }, handler);
        assert.equal(acc.lost, 0, handler);
        assert.equal(acc.errors[0]?.key, 's03', handler);
        assert.equal(acc.errors[0]?.field, 'png', handler);
        assert.match(acc.errors[0]?.url ?? '', /shard-000\.tar$/, handler);
        if (handler === 'warnAndContinue' || handler === 'ignoreAndContinue') assert.equal(acc.seen, 12, handler);
        assert.equal(
          thrown instanceof SampleError && thrown.reason === 'decode' && thrown.key === 's03',
          expected.throws,
          `${handler}: ${String(thrown)}`,
        );
        assert.equal(warnings.length, handler.startsWith('warn') ? expected.skipped : 0, handler);
      }
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('sets sharp concurrency in the factory and validates its options', () => {
    const before = sharp.concurrency();
    try {
      decode({ sharpConcurrency: 3 });
      assert.equal(sharp.concurrency(), 3);
    } finally {
      sharp.concurrency(before);
    }
    assert.equal(decode({ concurrency: 6 }).ndaflowHolds, 12); // 6 running + a reorder window of 6
    assert.throws(() => decode({ image: 'bgr' as never }), {
      name: 'RangeError',
      message: 'Cannot create a decode as image must be one of keep, rgb, gray: current value is "bgr"',
    });
    assert.throws(() => decode({ concurrency: 0 }), {
      name: 'RangeError',
      message: 'Cannot create a decode as concurrency must be in [1, 65536]: current value is 0',
    });
    assert.throws(() => decode({ maxPixels: -1 }), RangeError);
    assert.throws(() => decode({ fastPngMaxPixels: 0.5 }), RangeError);
    assert.throws(() => decode({ sharpConcurrency: 0 }), RangeError);
    assert.throws(() => decode({ decoders: { seg: 'x' as never } }), TypeError);
    assert.throws(() => decode({ handler: 'sometimes' as never }), TypeError);
  });
});
