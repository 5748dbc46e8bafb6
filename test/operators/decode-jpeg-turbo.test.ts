import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { firstValueFrom, from, lastValueFrom, take, toArray, type Observable } from 'rxjs';
import sharp from 'sharp';
import { decode, type DecodeOptions } from '../../operators/decode.js';
import { randomCrop } from '../../operators/random-crop.js';
import { randomFlip } from '../../operators/random-flip.js';
import { randomResizedCrop } from '../../operators/random-resized-crop.js';
import { jpegTurbo } from '../../operators/image/jpeg-turbo.js';
import { SampleError } from '../../sources/errors.js';
import type { LoaderStage } from '../../sources/loader.js';
import type { Image, Sample } from '../../sources/sample.js';
import { Random } from '../../sources/random.js';

const OPENCV_DATA = '/usr/share/doc/opencv-doc/examples/data';
const turbo = jpegTurbo();
const skip = turbo === null ? 'libturbojpeg.so.0 is not installed (apt-get install libturbojpeg0)' : false;

async function run(samples: Sample[], ...ops: LoaderStage[]): Promise<Sample[]> {
  const piped = ops.reduce<Observable<Sample>>((o, op) => o.pipe(op), from(samples));
  return lastValueFrom(piped.pipe(toArray()));
}

async function decodeWith(jpg: Uint8Array, options: DecodeOptions): Promise<Image> {
  const [s] = await run([{ __key__: 'k', __url__: 'mem', jpg }], decode(options));
  return s!['jpg'] as Image;
}

/** Largest absolute difference between two images of the same shape, and the share of bytes that differ. */
function compare(a: Image, b: Image): { max: number; differing: number } {
  assert.deepEqual(a.shape, b.shape);
  let max = 0;
  let n = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    if (d > 0) n++;
    if (d > max) max = d;
  }
  return { max, differing: n / a.data.length };
}

/** A noisy RGB image written by sharp with the given JPEG options. */
async function noisyJpeg(w: number, h: number, seed: number, jpeg: sharp.JpegOptions = {}): Promise<Buffer> {
  const rng = Random.derive(seed, 'jpeg-turbo-test');
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = (rng.int(0, 255) + (i % 600)) & 255;
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 90, ...jpeg })
    .toBuffer();
}

function threads(): number {
  return readdirSync('/proc/self/task').length;
}

describe('decode({jpegDecoder: "libjpeg-turbo"})', { skip }, () => {
  it('gives the pixels sharp gives, within 1 level, on the real opencv-doc photos (keep and rgb)', async (t) => {
    if (!existsSync(OPENCV_DATA)) return t.skip(`${OPENCV_DATA} is missing (apt-get install opencv-doc)`);
    const names = readdirSync(OPENCV_DATA).filter((f) => f.endsWith('.jpg'));
    assert.ok(names.length >= 20);
    const before = turbo!.calls;
    let worst = 0;
    for (const name of names) {
      const jpg = readFileSync(join(OPENCV_DATA, name));
      for (const image of ['keep', 'rgb'] as const) {
        const a = await decodeWith(jpg, { image, jpegDecoder: 'libjpeg-turbo' });
        const b = await decodeWith(jpg, { image, jpegDecoder: 'sharp' });
        const { max } = compare(a, b);
        worst = Math.max(worst, max);
        assert.ok(max <= 1, `${name} (${image}): pixels differ by up to ${max}`);
      }
    }
    t.diagnostic(`worst difference against sharp over ${names.length} photos: ${worst}`);
    const taken = (turbo!.calls - before) / 2;
    t.diagnostic(`${taken} of ${names.length} photos went through libjpeg-turbo (the rest carry an ICC profile)`);
    assert.ok(taken >= names.length / 2, `only ${taken} photos went through libjpeg-turbo`);
    assert.equal(turbo!.busyHandles, 0);
  });

  it('decodes progressive, grey and 4:4:4 JPEGs as sharp does, in every image mode', async () => {
    const calls = turbo!.calls;
    const colour = [
      await noisyJpeg(61, 37, 1, { progressive: true }),
      await noisyJpeg(50, 33, 2, { chromaSubsampling: '4:4:4' }),
      await noisyJpeg(17, 64, 3),
    ];
    const grey = await sharp(await noisyJpeg(45, 29, 4))
      .toColourspace('b-w')
      .jpeg()
      .toBuffer();
    for (const jpg of [...colour, grey]) {
      for (const image of ['keep', 'rgb', 'gray'] as const) {
        const a = await decodeWith(jpg, { image, jpegDecoder: 'libjpeg-turbo' });
        const b = await decodeWith(jpg, { image, jpegDecoder: 'sharp' });
        assert.ok(compare(a, b).max <= 1, `mode ${image}`);
      }
    }
    assert.equal(turbo!.calls - calls, 4 * 2 + 1, 'colour to gray goes to sharp, the rest to libjpeg-turbo');
    assert.equal((await decodeWith(grey, { jpegDecoder: 'libjpeg-turbo' })).shape[2], 1);
    assert.equal((await decodeWith(grey, { image: 'rgb', jpegDecoder: 'libjpeg-turbo' })).shape[2], 3);
  });

  it('leaves CMYK, arithmetic-coded and ICC-tagged JPEGs to sharp (identical pixels)', async (t) => {
    const base = await noisyJpeg(40, 30, 5);
    const unusual: [string, Buffer][] = [
      ['cmyk', await sharp(base).toColourspace('cmyk').jpeg().toBuffer()],
      ['icc', await sharp(base).withIccProfile('p3').jpeg().toBuffer()],
    ];
    try {
      const ppm = await sharp(base).raw().toBuffer({ resolveWithObject: true });
      const header = Buffer.from(`P6\n${ppm.info.width} ${ppm.info.height}\n255\n`);
      const arith = execFileSync('cjpeg', ['-arithmetic'], { input: Buffer.concat([header, ppm.data]) });
      unusual.push(['arithmetic', arith]);
    } catch {
      t.diagnostic('cjpeg (libjpeg-turbo-progs) missing: arithmetic coding not checked');
    }
    for (const [what, jpg] of unusual) {
      const calls = turbo!.calls;
      const a = await decodeWith(jpg, { jpegDecoder: 'libjpeg-turbo' });
      const b = await decodeWith(jpg, { jpegDecoder: 'sharp' });
      assert.deepEqual(a.shape, b.shape, what);
      assert.deepEqual(Buffer.from(a.data), Buffer.from(b.data), what);
      assert.equal(turbo!.calls, calls, `${what} went through libjpeg-turbo`);
    }
  });

  it('gives the fused crop + flip exactly as decode() then randomCrop() then randomFlip()', async () => {
    const samples: Sample[] = [];
    for (let i = 0; i < 10; i++)
      samples.push({ __key__: `k${i}`, __url__: 'mem', jpg: await noisyJpeg(40 + i, 30 + (i % 3), i) });
    const options = { jpegDecoder: 'libjpeg-turbo' } as const;
    const fused = await run(
      samples,
      decode({ ...options, randomCrop: { size: [24, 20], seed: 5 }, randomFlip: { seed: 9 } }),
    );
    const apart = await run(samples, decode(options), randomCrop({ size: [24, 20], seed: 5 }), randomFlip({ seed: 9 }));
    for (let i = 0; i < samples.length; i++) {
      const a = fused[i]!['jpg'] as Image;
      const b = apart[i]!['jpg'] as Image;
      assert.deepEqual(a.shape, [24, 20, 3]);
      assert.deepEqual(Buffer.from(a.data), Buffer.from(b.data), `sample ${i}`);
    }
  });

  it('fails a corrupt or truncated JPEG with the SampleError naming shard, key and field', async () => {
    const good = await noisyJpeg(64, 48, 6);
    const corrupt = Buffer.from(good);
    corrupt.fill(0x55, 400, corrupt.length - 2);
    const truncated = good.subarray(0, Math.floor(good.length / 2));
    for (const jpg of [corrupt, truncated]) {
      for (const jpegDecoder of ['libjpeg-turbo', 'sharp'] as const) {
        await assert.rejects(
          run([{ __key__: 'bad', __url__: 'shard-7.tar', jpg }], decode({ jpegDecoder })),
          (e: unknown) =>
            e instanceof SampleError &&
            e.reason === 'decode' &&
            e.url === 'shard-7.tar' &&
            e.key === 'bad' &&
            e.field === 'jpg',
        );
      }
    }
    assert.equal(turbo!.busyHandles, 0, 'a failed decode kept its handle');
  });

  it('holds no handle and starts no thread after complete, error and unsubscribe', async () => {
    const samples: Sample[] = [];
    for (let i = 0; i < 24; i++) samples.push({ __key__: `k${i}`, __url__: 'mem', jpg: await noisyJpeg(300, 200, i) });
    await run(samples, decode({ jpegDecoder: 'libjpeg-turbo' })); // warm: the thread pool starts
    const threadsBefore = threads();
    await run(samples, decode({ jpegDecoder: 'libjpeg-turbo', concurrency: 8 }));
    assert.equal(turbo!.busyHandles, 0);
    const bad = [...samples.slice(0, 5), { __key__: 'bad', __url__: 'mem', jpg: Buffer.from([0xff, 0xd8, 0xff, 0]) }];
    await assert.rejects(run([...bad, ...samples], decode({ jpegDecoder: 'libjpeg-turbo', concurrency: 8 })));
    const first = await firstValueFrom(
      from(samples).pipe(decode({ jpegDecoder: 'libjpeg-turbo', concurrency: 8 }), take(1)),
    );
    assert.equal(first.__key__, 'k0');
    for (let i = 0; i < 50 && turbo!.busyHandles > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(turbo!.busyHandles, 0, 'decodes in flight at unsubscribe kept their handles');
    assert.ok(turbo!.liveHandles <= 16, `${turbo!.liveHandles} handles kept`);
    assert.equal(threads(), threadsBefore, 'threads were started and not released');
  });

  it('refuses an unknown jpegDecoder when the pipeline is declared', () => {
    assert.throws(() => decode({ jpegDecoder: 'libjpeg' as never }), RangeError);
  });
});

describe('decode({randomResizedCrop}) (fused)', () => {
  /** Real photos cut to varied sizes (300-800 px on the long side), as JPEG. */
  async function photos(count: number): Promise<Sample[]> {
    const names = readdirSync(OPENCV_DATA)
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .slice(0, count);
    const out: Sample[] = [];
    for (const [i, name] of names.entries()) {
      const side = 300 + ((i * 97) % 501);
      const jpg = await sharp(join(OPENCV_DATA, name))
        .resize(side, side, { fit: 'inside' })
        .removeAlpha()
        .toColourspace('srgb')
        .jpeg({ quality: 90 })
        .toBuffer();
      out.push({ __key__: `p${i}`, __url__: 'mem', jpg });
    }
    return out;
  }

  it('without shrink-on-load, and for sharp-decoded images, gives exactly decode() then randomResizedCrop() then randomFlip()', async (t) => {
    if (!existsSync(OPENCV_DATA)) return t.skip(`${OPENCV_DATA} is missing`);
    const samples = await photos(12);
    for (const jpegDecoder of ['libjpeg-turbo', 'sharp'] as const) {
      if (jpegDecoder === 'libjpeg-turbo' && turbo === null) continue;
      const fused = await run(
        samples,
        decode({
          jpegDecoder,
          randomResizedCrop: { size: 64, seed: 3, shrinkOnLoad: false },
          randomFlip: { seed: 4 },
        }),
      );
      const apart = await run(
        samples,
        decode({ jpegDecoder }),
        randomResizedCrop({ size: 64, seed: 3 }),
        randomFlip({ seed: 4 }),
      );
      for (let i = 0; i < samples.length; i++) {
        const a = fused[i]!['jpg'] as Image;
        assert.deepEqual(a.shape, [64, 64, 3]);
        assert.deepEqual(Buffer.from(a.data), Buffer.from((apart[i]!['jpg'] as Image).data), `${jpegDecoder} ${i}`);
      }
    }
  });

  it(
    'with JPEG shrink-on-load stays within 2 levels (mean; 5 for the worst image) of the unfused path on real photos',
    { skip },
    async (t) => {
      if (!existsSync(OPENCV_DATA)) return t.skip(`${OPENCV_DATA} is missing`);
      const samples = await photos(24);
      const options = { size: 48, scale: [0.3, 1] as [number, number], seed: 7 };
      const calls = turbo!.calls;
      const fused = await run(samples, decode({ randomResizedCrop: options }));
      assert.equal(turbo!.calls - calls, samples.length);
      const apart = await run(samples, decode(), randomResizedCrop(options));
      let sum = 0;
      let n = 0;
      let worstMean = 0;
      for (let i = 0; i < samples.length; i++) {
        const a = fused[i]!['jpg'] as Image;
        const b = apart[i]!['jpg'] as Image;
        assert.deepEqual(a.shape, b.shape);
        let s = 0;
        for (let j = 0; j < a.data.length; j++) s += Math.abs(a.data[j]! - b.data[j]!);
        worstMean = Math.max(worstMean, s / a.data.length);
        sum += s;
        n += a.data.length;
      }
      t.diagnostic(`mean absolute difference ${(sum / n).toFixed(3)}, worst image ${worstMean.toFixed(3)}`);
      assert.ok(sum / n < 2, `mean absolute difference ${sum / n}`);
      assert.ok(worstMean < 5, `an image differs by ${worstMean} on average`);
      assert.ok(sum > 0, 'shrink-on-load was never used (identical pixels)');
    },
  );

  it('refuses randomCrop with randomResizedCrop, and a bad shrinkOnLoad, when declared', () => {
    assert.throws(() => decode({ randomCrop: { size: 8 }, randomResizedCrop: { size: 8, seed: 1 } }), RangeError);
    assert.throws(() => decode({ randomResizedCrop: { size: 8, seed: 1, shrinkOnLoad: 1 as never } }), TypeError);
    assert.throws(() => decode({ randomResizedCrop: { size: 8, seed: 1, scale: [0, 1] } }), RangeError);
  });
});
