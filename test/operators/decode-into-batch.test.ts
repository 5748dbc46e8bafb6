import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { map } from 'rxjs';
import sharp from 'sharp';
import { decode } from '../../operators/decode.js';
import { batch } from '../../operators/batch.js';
import { releaseBatch } from '../../operators/release-batch.js';
import { randomCrop } from '../../operators/random-crop.js';
import { randomFlip } from '../../operators/random-flip.js';
import { isBatchBlock } from '../../operators/internal/batch-slots.js';
import { jpegTurbo } from '../../operators/image/jpeg-turbo.js';
import { createLoader, type LoaderStage } from '../../sources/loader.js';
import type { LoaderState } from '../../sources/loader-state.js';
import { fromShards } from '../../sources/from-shards.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import type { ImageBatch } from '../../sources/sample.js';
import { Random } from '../../sources/random.js';
import { tempDir } from '../helpers/temp-dir.js';

const skip = jpegTurbo() === null ? 'libturbojpeg.so.0 is not installed (apt-get install libturbojpeg0)' : false;

/**
 * Noisy RGB JPEGs of 40 x 36 (any misplaced pixel shows), in one shard. `corrupt` lists samples whose
 * bytes are cut short: the first to 200 bytes (refused while its header is read, before decoding),
 * the others by 50 bytes (refused by libjpeg-turbo, after the decode started).
 */
async function shard(dir: string, count: number, corrupt: readonly number[] = []): Promise<string> {
  const writer = new ShardWriter(join(dir, 'photos-%02d.tar'), { maxSamples: 1000 });
  for (let i = 0; i < count; i++) {
    const rng = Random.derive(i, 'decode-into-batch-test');
    const px = Buffer.alloc(40 * 36 * 3);
    for (let j = 0; j < px.length; j++) px[j] = rng.int(0, 255);
    let jpg = await sharp(px, { raw: { width: 40, height: 36, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    if (corrupt.includes(i)) jpg = jpg.subarray(0, i === corrupt[0] ? 200 : jpg.length - 50);
    await writer.write({ __key__: `s${String(i).padStart(3, '0')}`, jpg, cls: String(i % 3) });
  }
  await writer.close();
  return join(dir, 'photos-00.tar');
}

interface Seen {
  readonly keys: string[];
  readonly pixels: number[];
  readonly shape: readonly number[];
  readonly block: boolean;
}

/** The batches of a loader over `spec` through `stages`: keys, pixels, and whether a fused decode wrote them. */
async function batches(spec: string, ...stages: LoaderStage[]): Promise<Seen[]> {
  const out: Seen[] = [];
  const loader = createLoader<{ __key__: string[]; jpg: ImageBatch }>(fromShards(spec, { seed: 1 }), stages);
  for await (const b of loader)
    out.push({
      keys: b.__key__,
      pixels: [...b.jpg.data],
      shape: b.jpg.shape,
      block: isBatchBlock(b.jpg.data.buffer),
    });
  return out;
}

const CROP = { size: [24, 20] as [number, number], pad: 3, seed: 5 };
const FLIP = { seed: 9 };

describe('decode fused into the batch after it (createLoader)', { skip }, () => {
  it('writes the crops and flips straight into the batches, equal to decode -> randomCrop -> randomFlip -> batch', async () => {
    const spec = await shard(tempDir(), 37);
    const fused = await batches(spec, decode({ randomCrop: CROP, randomFlip: FLIP }), batch(8));
    const apart = await batches(spec, decode(), randomCrop(CROP), randomFlip(FLIP), batch(8));
    assert.equal(fused.length, 5); // 4 of 8 and the last of 5
    assert.deepEqual(
      fused.map(({ keys, pixels, shape }) => ({ keys, pixels, shape })),
      apart.map(({ keys, pixels, shape }) => ({ keys, pixels, shape })),
    );
    assert.deepEqual(
      fused.map((b) => b.block),
      [true, true, true, true, true],
      'every batch (the partial last one too) is the memory its images were decoded into',
    );
    assert.ok(apart.every((b) => !b.block));
  });

  it('keeps order and pixels around samples that fail (before and during the decode), and later batches are written in place again', async () => {
    const spec = await shard(tempDir(), 40, [9, 20]);
    const stages = (fused: boolean): LoaderStage[] =>
      fused
        ? [decode({ randomCrop: CROP, randomFlip: FLIP, handler: 'ignoreAndContinue' }), batch(8)]
        : [decode({ handler: 'ignoreAndContinue' }), randomCrop(CROP), randomFlip(FLIP), batch(8)];
    const fused = await batches(spec, ...stages(true));
    const apart = await batches(spec, ...stages(false));
    const keys = fused.flatMap((b) => b.keys);
    assert.equal(keys.length, 38);
    assert.ok(!keys.includes('s009') && !keys.includes('s020'));
    assert.deepEqual(
      fused.map(({ keys, pixels }) => ({ keys, pixels })),
      apart.map(({ keys, pixels }) => ({ keys, pixels })),
    );
    assert.equal(fused[0]?.block, true, 'before the failure');
    assert.equal(fused.at(-2)?.block, true, 'well after the failure, batches are blocks again');
  });

  it('resumes exactly: a run stopped after two batches and resumed from its saved state gives the batches of a whole run', async () => {
    const spec = await shard(tempDir(), 40);
    const loader = createLoader<{ __key__: string[]; jpg: ImageBatch }>(fromShards(spec, { seed: 3, shuffle: 16 }), [
      decode({ randomCrop: CROP, randomFlip: FLIP }),
      batch(8),
    ]);
    const seen = (b: { __key__: string[]; jpg: ImageBatch }) => ({ keys: b.__key__, pixels: [...b.jpg.data] });
    const whole = [];
    for await (const b of loader) whole.push(seen(b));
    const first = loader.iterate();
    const parts = [];
    for (let i = 0; i < 2; i++) {
      const r = await first.next();
      if (!r.done) parts.push(seen(r.value));
    }
    const state = JSON.parse(JSON.stringify(first.state())) as LoaderState;
    await first.return?.();
    const rest = loader.iterate({ resumeFrom: state });
    for await (const b of rest) parts.push(seen(b));
    assert.equal(whole.length, 5);
    assert.deepEqual(parts, whole);
    assert.equal(
      rest.accounting().yielded,
      40,
      'the accounting of the resumed run counts both parts: every sample once',
    );
  });

  it('runs unfused when a stage sits between decode and batch', async () => {
    const spec = await shard(tempDir(), 16);
    const between = await batches(
      spec,
      decode({ randomCrop: CROP }),
      map((s) => s),
      batch(8),
    );
    assert.equal(between.length, 2);
    assert.ok(between.every((b) => !b.block));
  });

  it('releaseBatch: the released batch cannot be read, arrays taken from it are emptied, later batches are right', async () => {
    const spec = await shard(tempDir(), 48);
    const apart = await batches(spec, decode(), randomCrop(CROP), randomFlip(FLIP), batch(8));
    const loader = createLoader<{ jpg: ImageBatch }>(fromShards(spec, { seed: 1 }), [
      decode({ randomCrop: CROP, randomFlip: FLIP }),
      batch(8),
    ]);
    const kept: Uint8Array[] = [];
    let i = 0;
    for await (const b of loader) {
      assert.deepEqual([...b.jpg.data], apart[i]?.pixels, `batch ${i}`);
      assert.ok(isBatchBlock(b.jpg.data.buffer));
      kept.push(b.jpg.data as Uint8Array);
      releaseBatch(b);
      assert.throws(
        () => b.jpg.data,
        /Cannot read the pixels of field "jpg" as its batch was released \(releaseBatch\)/,
      );
      releaseBatch(b); // twice: nothing
      i++;
    }
    assert.equal(i, 6);
    assert.ok(
      kept.every((d) => d.length === 0),
      'arrays kept from released batches are detached, never another batch',
    );
  });
});
