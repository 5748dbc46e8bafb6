import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FASHION_MNIST_DEBIAN_ROOT } from '../../sources/datasets/fashion-mnist.js';
import { convertMovingFmnist } from '../../sources/datasets/moving-fmnist.js';
import { compassDirectionOf, renderMovingFmnist } from '../../sources/datasets/moving-fmnist-render.js';
import { SampleError } from '../../sources/errors.js';
import { findFfmpegBinaries } from '../../sources/video/ffmpeg-binaries.js';
import { readShard } from '../cli/cli-helper.js';
import { tempDir } from '../helpers/temp-dir.js';
import { fakeLabel, fakePixel, writeFakeFashionMnist } from './idx-fixture.js';

/** Decodes an mp4 to gray frames with the bundled ffmpeg. */
function decodeGray(mp4: Buffer, dir: string): Uint8Array {
  const path = join(dir, 'decode.mp4');
  writeFileSync(path, mp4);
  const r = spawnSync(
    findFfmpegBinaries().ffmpeg.path,
    ['-hide_banner', '-loglevel', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'],
    { maxBuffer: 1 << 26 },
  );
  assert.equal(r.status, 0, r.stderr?.toString());
  return new Uint8Array(r.stdout);
}

const fakeImage = (i: number): Uint8Array => {
  const img = new Uint8Array(784);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) img[y * 28 + x] = fakePixel(i, y, x);
  return img;
};

const scratchDirs = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('ndaflow-moving-fmnist-'));

describe('convertMovingFmnist', () => {
  it('writes mp4 + cls + json clips whose frames decode back to the rendered ones (several clips per ffmpeg); progress; same bytes twice', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 10, 5);
    const out = join(root, 'out');
    const progress: number[] = [];
    const options = {
      root,
      out,
      train: 6,
      test: 2,
      frames: 16,
      items: 2 as const,
      seed: 3,
      maxSamples: 4,
      clipsPerProcess: 4,
    }; // train groups 4 + 2, test 2
    const result = await convertMovingFmnist({ ...options, onProgress: (n) => progress.push(n) });
    assert.deepEqual(
      result.splits.map((s) => [s.split, s.samples, s.shards.map((x) => x.path)]),
      [
        ['train', 6, [join(out, 'train-000000.tar'), join(out, 'train-000001.tar')]],
        ['test', 2, [join(out, 'test-000000.tar')]],
      ],
    );
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7, 8]);
    const samples = [
      ...(await readShard(result.splits[0]!.shards[0]!.path)),
      ...(await readShard(result.splits[0]!.shards[1]!.path)),
      ...(await readShard(result.splits[1]!.shards[0]!.path)),
    ];
    assert.deepEqual(
      samples.map((s) => s.key),
      [
        'train/000000',
        'train/000001',
        'train/000002',
        'train/000003',
        'train/000004',
        'train/000005',
        'test/000000',
        'test/000001',
      ],
    );
    const directions = new Set<number>();
    for (const s of samples) {
      assert.deepEqual([...s.fields.keys()], ['mp4', 'cls', 'json']);
      const meta = JSON.parse(s.fields.get('json')!.toString());
      assert.equal(meta.split, s.key.split('/')[0]);
      assert.equal(meta.index, Number(s.key.split('/')[1]));
      assert.deepEqual([meta.frames, meta.fps, meta.size, meta.seed], [16, 10, 64, 3]);
      assert.equal(meta.items.length, 2);
      for (const i of meta.items) assert.ok(i >= 0 && i < (meta.split === 'train' ? 10 : 5));
      assert.deepEqual(meta.classes, meta.items.map(fakeLabel));
      assert.equal(s.fields.get('cls')!.toString(), String(meta.classes[0]));
      assert.equal(meta.directionName, ['E', 'NE', 'N', 'NW', 'W', 'SW', 'S', 'SE'][meta.direction]);
      assert.equal(meta.direction, meta.directions[0]);
      directions.add(meta.direction);
      // The same frames from the metadata alone (the fake images are a function of their index).
      const rendered = renderMovingFmnist(
        meta.items.map((item: number, j: number) => ({
          image: fakeImage(item),
          start: meta.starts[j],
          velocity: meta.velocities[j],
        })),
        { frames: 16 },
      );
      assert.deepEqual(rendered.bounces, meta.bounces);
      assert.equal(meta.frameDirections.length, 2);
      assert.equal(meta.frameDirections[0].length, 16);
      assert.equal(meta.frameDirections[0][0], meta.direction);
      assert.deepEqual(
        meta.frameDirections,
        rendered.frameVelocities.map((vs) => vs.map((v) => compassDirectionOf(v))),
      );
      // between bounces the direction holds
      for (let t = 1; t < 16; t++)
        if (!meta.bounces[0].includes(t)) assert.equal(meta.frameDirections[0][t], meta.frameDirections[0][t - 1]);
      const decoded = decodeGray(s.fields.get('mp4')!, root);
      assert.equal(decoded.length, 16 * 64 * 64, `${s.key}: 16 frames of 64x64`);
      let sum = 0;
      for (let i = 0; i < decoded.length; i++) sum += Math.abs(decoded[i]! - rendered.data[i]!);
      // H.264 at crf 18 is lossy (and limited range), but close: a mean error of a few levels.
      assert.ok(sum / decoded.length < 4, `${s.key}: mean abs error ${sum / decoded.length}`);
    }
    assert.ok(directions.size >= 2);
    // Deterministic: the same shards byte for byte (same ffmpeg build).
    const again = await convertMovingFmnist({ ...options, out: join(root, 'again') });
    for (const [k, split] of result.splits.entries()) {
      for (const [j, shard] of split.shards.entries())
        assert.ok(readFileSync(shard.path).equals(readFileSync(again.splits[k]!.shards[j]!.path)), shard.path);
    }
    // One item per clip: the same first item as the two-item clips (the plan draws item 0 first).
    const single = await convertMovingFmnist({ ...options, items: 1, train: 1, test: 0, out: join(root, 'single') });
    assert.deepEqual(
      single.splits.map((s) => s.split),
      ['train'],
    );
    const [oneSample] = await readShard(single.splits[0]!.shards[0]!.path);
    const one = JSON.parse(oneSample!.fields.get('json')!.toString());
    const oneFrames = decodeGray(oneSample!.fields.get('mp4')!, root);
    const oneRendered = renderMovingFmnist(
      [{ image: fakeImage(one.items[0]), start: one.starts[0], velocity: one.velocities[0] }],
      { frames: 16 },
    );
    assert.equal(oneFrames.length, oneRendered.data.length);
    assert.ok(oneFrames.reduce((a, v, i) => a + Math.abs(v - oneRendered.data[i]!), 0) / oneFrames.length < 4);
    const two = JSON.parse(samples[0]!.fields.get('json')!.toString());
    assert.deepEqual(
      [one.items, one.starts, one.velocities],
      [two.items.slice(0, 1), two.starts.slice(0, 1), two.velocities.slice(0, 1)],
    );
  });

  it('rejects bad options and missing idx files before writing anything', async () => {
    const root = tempDir();
    const out = join(root, 'out');
    await assert.rejects(
      convertMovingFmnist({ root, out, frames: 15 }),
      /frames must be in \[16, 20\]: current value is 15/,
    );
    await assert.rejects(convertMovingFmnist({ root, out, items: 3 as 1 }), /items must be in \[1, 2\]/);
    await assert.rejects(convertMovingFmnist({ root, out, size: 63 }), /size must be even/);
    await assert.rejects(convertMovingFmnist({ root, out, train: -1 }), RangeError);
    await assert.rejects(convertMovingFmnist({ root, out, seed: 1.5 }), /seed must be an integer/);
    await assert.rejects(convertMovingFmnist({ root, out, concurrency: 0 }), /concurrency/);
    await assert.rejects(
      convertMovingFmnist({ root, out, clipsPerProcess: 0 }),
      /clipsPerProcess must be in \[1, 10000\]/,
    );
    await assert.rejects(
      convertMovingFmnist({ root, out, train: 1 }),
      /must hold train-images-idx3-ubyte.gz or train-images-idx3-ubyte/,
    );
    assert.equal(existsSync(out), false);
  });

  it('fails with a SampleError naming the clip when ffmpeg fails, leaving no scratch folder', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 3, 1);
    const bad = join(root, 'ffmpeg');
    writeFileSync(bad, '#!/bin/sh\necho "no encoder here" >&2\nexit 3\n');
    chmodSync(bad, 0o755);
    const before = scratchDirs();
    const saved = process.env['FFMPEG_PATH'];
    process.env['FFMPEG_PATH'] = bad;
    try {
      const error = await convertMovingFmnist({ root, out: join(root, 'out'), train: 3, test: 0 }).catch(
        (e: unknown) => e,
      );
      assert.ok(error instanceof SampleError, String(error));
      assert.equal(error.reason, 'encode');
      assert.equal(error.key, 'train/000000');
      assert.equal(error.field, 'mp4');
      assert.match(error.message, /exit 3.*no encoder here/s);
    } finally {
      if (saved === undefined) delete process.env['FFMPEG_PATH'];
      else process.env['FFMPEG_PATH'] = saved;
    }
    assert.deepEqual(scratchDirs(), before);
  });

  it('stops the encoders and removes the scratch folder when writing the shards fails', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 3, 1);
    const notAFolder = join(root, 'file');
    writeFileSync(notAFolder, 'x');
    const before = scratchDirs();
    await assert.rejects(
      convertMovingFmnist({ root, out: notAFolder, train: 6, test: 0, clipsPerProcess: 2 }),
      /ENOTDIR|EEXIST/,
    );
    assert.deepEqual(scratchDirs(), before);
  });

  it('stops on abort: the running ffmpeg processes are killed and the promise rejects', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 3, 1);
    const slow = join(root, 'ffmpeg');
    const pids = join(root, 'pids');
    // An "ffmpeg" that never finishes: it records its pid and sleeps.
    writeFileSync(slow, `#!/bin/sh\necho $$ >> ${pids}\nexec sleep 60\n`);
    chmodSync(slow, 0o755);
    const saved = process.env['FFMPEG_PATH'];
    process.env['FFMPEG_PATH'] = slow;
    const controller = new AbortController();
    try {
      const running = convertMovingFmnist({
        root,
        out: join(root, 'out'),
        train: 5,
        test: 0,
        concurrency: 2,
        clipsPerProcess: 2,
        signal: controller.signal,
      });
      while (!existsSync(pids) || readFileSync(pids, 'utf8').trim().split('\n').length < 2)
        await new Promise((r) => setTimeout(r, 20));
      controller.abort(new Error('user stop'));
      await assert.rejects(running, (e: Error) => !(e instanceof SampleError) && e.message === 'user stop');
    } finally {
      if (saved === undefined) delete process.env['FFMPEG_PATH'];
      else process.env['FFMPEG_PATH'] = saved;
    }
    const started = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    assert.equal(started.length, 2, 'concurrency 2: two processes at once');
    for (const pid of started) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid} is gone`);
  });

  it(
    'converts the real Debian files (2 train + 1 test clips)',
    {
      skip: existsSync(FASHION_MNIST_DEBIAN_ROOT)
        ? false
        : `${FASHION_MNIST_DEBIAN_ROOT} not present (apt install dataset-fashion-mnist)`,
    },
    async () => {
      const out = tempDir();
      const result = await convertMovingFmnist({ out, train: 2, test: 1, seed: 1 });
      assert.deepEqual(
        result.splits.map((s) => s.samples),
        [2, 1],
      );
      const [first] = await readShard(result.splits[0]!.shards[0]!.path);
      const decoded = decodeGray(first!.fields.get('mp4')!, out);
      assert.equal(decoded.length, 20 * 64 * 64);
      assert.ok(
        decoded.some((v) => v > 100),
        'an item is visible',
      );
    },
  );
});
