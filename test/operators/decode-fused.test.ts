import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { lastValueFrom, from, toArray, type Observable } from 'rxjs';
import sharp from 'sharp';
import { decode } from '../../operators/decode.js';
import { randomCrop } from '../../operators/random-crop.js';
import { randomFlip } from '../../operators/random-flip.js';
import { createLoader, type LoaderStage } from '../../sources/loader.js';
import { fromShards } from '../../sources/from-shards.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import type { Image, Sample } from '../../sources/sample.js';
import { Random } from '../../sources/random.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A noisy RGB image (so any misplaced pixel shows), as JPEG, PNG and WebP bytes. */
async function images(w: number, h: number, seed: number): Promise<{ jpg: Buffer; png: Buffer; webp: Buffer }> {
  const rng = Random.derive(seed, 'fused-test');
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = rng.int(0, 255);
  const raw = { raw: { width: w, height: h, channels: 3 as const } };
  return {
    jpg: await sharp(px, raw).jpeg({ quality: 90 }).toBuffer(),
    png: await sharp(px, raw).png().toBuffer(),
    webp: await sharp(px, raw).webp({ lossless: true }).toBuffer(),
  };
}

async function run(samples: Sample[], ...ops: LoaderStage[]): Promise<Sample[]> {
  const piped = ops.reduce<Observable<Sample>>((o, op) => o.pipe(op), from(samples));
  return lastValueFrom(piped.pipe(toArray()));
}

function pixels(s: Sample, field: string): { shape: readonly number[]; data: number[] } {
  const img = s[field] as Image;
  return { shape: img.shape, data: [...img.data] };
}

describe('decode({randomCrop, randomFlip}) (fused)', () => {
  it('gives exactly what decode() then randomCrop() then randomFlip() give, for JPEG, PNG (both paths) and WebP', async () => {
    const samples: Sample[] = [];
    for (let i = 0; i < 12; i++) {
      const { jpg, png, webp } = await images(40 + i, 30 + (i % 3), i);
      samples.push({ __key__: `k${i}`, __url__: 'mem', jpg, png, webp });
    }
    for (const fastPngMaxPixels of [0, 128 * 128]) {
      const fused = await run(
        samples,
        decode({ fastPngMaxPixels, randomCrop: { size: [24, 20], seed: 5 }, randomFlip: { seed: 9 } }),
      );
      const apart = await run(
        samples,
        decode({ fastPngMaxPixels }),
        randomCrop({ size: [24, 20], seed: 5 }),
        randomFlip({ seed: 9 }),
      );
      assert.equal(fused.length, samples.length);
      let flipped = 0;
      for (let i = 0; i < samples.length; i++) {
        for (const field of ['jpg', 'png', 'webp'])
          assert.deepEqual(
            pixels(fused[i] as Sample, field),
            pixels(apart[i] as Sample, field),
            `sample ${i} field ${field}`,
          );
        const plain = await run(
          [samples[i] as Sample],
          decode({ fastPngMaxPixels, randomCrop: { size: [24, 20], seed: 5 } }),
        );
        if (JSON.stringify(pixels(plain[0] as Sample, 'png')) !== JSON.stringify(pixels(fused[i] as Sample, 'png')))
          flipped++;
      }
      assert.ok(flipped > 0 && flipped < samples.length, `some but not all samples flipped (${flipped})`);
    }
  });

  it('does the padded crop too (zeros outside the image), equal to the operator', async () => {
    const { jpg } = await images(16, 16, 1);
    const s: Sample[] = [{ __key__: 'a', __url__: 'mem', jpg }];
    const fused = await run(s, decode({ randomCrop: { size: 18, pad: 2, seed: 3 } }));
    const apart = await run(s, decode(), randomCrop({ size: 18, pad: 2, seed: 3 }));
    assert.deepEqual(pixels(fused[0] as Sample, 'jpg'), pixels(apart[0] as Sample, 'jpg'));
    assert.deepEqual((fused[0]?.jpg as Image).shape, [18, 18, 3]);
  });

  it('skips an image smaller than the crop under reason random-crop, naming shard, key and field', async () => {
    const dir = tempDir();
    const w = new ShardWriter(join(dir, 's-%03d.tar'));
    await w.write({ __key__: 'small', jpg: (await images(8, 8, 2)).jpg });
    await w.write({ __key__: 'big', jpg: (await images(40, 40, 3)).jpg });
    await w.close();
    const it = createLoader(
      fromShards(join(dir, 's-000.tar'), { seed: 1 }),
      decode({ randomCrop: { size: 32, seed: 1 }, handler: 'ignoreAndContinue' }),
    ).iterate();
    const keys: string[] = [];
    for await (const s of it) keys.push(s.__key__);
    assert.deepEqual(keys, ['big']);
    const acc = it.accounting();
    assert.deepEqual(acc.skipped, { 'random-crop': 1 });
    assert.equal(acc.errors[0]?.key, 'small');
    assert.equal(acc.errors[0]?.field, 'jpg');
    assert.match(acc.errors[0]?.url ?? '', /s-000\.tar$/);
    assert.equal(acc.lost, 0);
  });

  it('rejects bad options when declared', () => {
    assert.throws(() => decode({ randomCrop: { size: 0, seed: 1 } }), RangeError);
    assert.throws(() => decode({ randomFlip: { p: 2, seed: 1 } }), {
      name: 'RangeError',
      message: /randomFlip\.p must be in \[0, 1\]/,
    });
    assert.throws(() => decode({ randomCrop: 'big' as never }), TypeError);
  });
});
