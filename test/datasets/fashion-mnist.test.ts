import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { decode as decodePng } from 'fast-png';
import {
  convertFashionMnist,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEBIAN_ROOT,
} from '../../sources/datasets/fashion-mnist.js';
import { readShard } from '../cli/cli-helper.js';
import { tempDir } from '../helpers/temp-dir.js';
import { fakeLabel, fakePixel, idxBytes, writeFakeFashionMnist } from './idx-fixture.js';

describe('convertFashionMnist', () => {
  it('writes png + cls + json per image, in idx order, split into shards by maxSamples', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 7, 3);
    const out = join(root, 'out');
    const seen: number[] = [];
    const result = await convertFashionMnist({ root, out, maxSamples: 3, onProgress: (n) => seen.push(n) });
    assert.deepEqual(
      result.splits.map((s) => [s.split, s.samples, s.shards.map((x) => x.path)]),
      [
        ['train', 7, [join(out, 'train-000000.tar'), join(out, 'train-000001.tar'), join(out, 'train-000002.tar')]],
        ['test', 3, [join(out, 'test-000000.tar')]],
      ],
    );
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const train = (await Promise.all(result.splits[0]!.shards.map((s) => readShard(s.path)))).flat();
    assert.deepEqual(
      train.map((s) => s.key),
      ['000000', '000001', '000002', '000003', '000004', '000005', '000006'].map((k) => `train/${k}`),
    );
    for (const [i, s] of train.entries()) {
      assert.deepEqual([...s.fields.keys()], ['png', 'cls', 'json']);
      const png = decodePng(s.fields.get('png') as Buffer);
      assert.deepEqual([png.width, png.height, png.channels, png.depth], [28, 28, 1, 8]);
      for (const [y, x] of [
        [0, 0],
        [5, 17],
        [27, 27],
      ] as const)
        assert.equal(png.data[y * 28 + x], fakePixel(i, y, x));
      assert.equal(s.fields.get('cls')?.toString(), String(fakeLabel(i)));
      assert.deepEqual(JSON.parse(s.fields.get('json')?.toString() ?? ''), {
        label: fakeLabel(i),
        class: FASHION_MNIST_CLASSES[fakeLabel(i)],
        index: i,
        split: 'train',
      });
    }
    const test = await readShard(result.splits[1]!.shards[0]!.path);
    assert.deepEqual(
      test.map((s) => s.key),
      ['test/000000', 'test/000001', 'test/000002'],
    );
    assert.equal(JSON.parse(test[2]!.fields.get('json')?.toString() ?? '').split, 'test');
  });

  it('takes the first N per split (limit, per-split limits) and writes the same bytes twice', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 6, 5);
    const a = await convertFashionMnist({ root, out: join(root, 'a'), limit: 4, limits: { test: 2 } });
    assert.deepEqual(
      a.splits.map((s) => s.samples),
      [4, 2],
    );
    const b = await convertFashionMnist({ root, out: join(root, 'b'), limit: 4, limits: { test: 2 }, gzip: true });
    for (const [i, split] of a.splits.entries()) {
      const gz = b.splits[i]!.shards[0]!.path;
      assert.ok(gz.endsWith('.tar.gz'));
      assert.ok(
        readFileSync(split.shards[0]!.path).equals(gunzipSync(readFileSync(gz))),
        'gzipped shard holds the same tar',
      );
    }
    const again = await convertFashionMnist({ root, out: join(root, 'a2'), limit: 4, limits: { test: 2 } });
    assert.ok(readFileSync(again.splits[0]!.shards[0]!.path).equals(readFileSync(a.splits[0]!.shards[0]!.path)));
    const only = await convertFashionMnist({ root, out: join(root, 'c'), splits: ['test'] });
    assert.deepEqual(
      only.splits.map((s) => [s.split, s.samples]),
      [['test', 5]],
    );
  });

  it('reports shards left by an earlier run as stale', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 4, 1);
    const out = join(root, 'out');
    await convertFashionMnist({ root, out, maxSamples: 1, splits: ['train'] });
    const r = await convertFashionMnist({ root, out, maxSamples: 2, splits: ['train'] });
    assert.deepEqual(r.splits[0]!.stale, [join(out, 'train-000002.tar'), join(out, 'train-000003.tar')]);
  });

  it('fails with a message naming the file for a missing file, a bad magic number, a count mismatch, a bad label', async () => {
    const root = tempDir();
    await assert.rejects(
      convertFashionMnist({ root, out: join(root, 'o') }),
      /train-images-idx3-ubyte\.gz or train-images-idx3-ubyte/,
    );
    writeFakeFashionMnist(root, 3, 2);
    const labels = join(root, 't10k-labels-idx1-ubyte');
    writeFileSync(labels, idxBytes([3], Uint8Array.of(1, 2, 3)));
    await assert.rejects(
      convertFashionMnist({ root, out: join(root, 'o') }),
      (e: Error) => e instanceof RangeError && e.message.includes(labels) && /one label per image/.test(e.message),
    );
    assert.ok(!existsSync(join(root, 'o', 'train-000000.tar')), 'nothing is written before every file checked out');
    writeFileSync(labels, idxBytes([2], Uint8Array.of(1, 10)));
    await assert.rejects(
      convertFashionMnist({ root, out: join(root, 'o') }),
      /must be in \[0, 9\] \(label 1\): current value is 10/,
    );
    const bad = idxBytes([2], Uint8Array.of(1, 2));
    bad[2] = 0x09;
    writeFileSync(labels, bad);
    await assert.rejects(
      convertFashionMnist({ root, out: join(root, 'o') }),
      (e: Error) => e.message.includes(labels) && /ubyte/.test(e.message),
    );
    writeFileSync(labels, idxBytes([1, 2], Uint8Array.of(1, 2)));
    await assert.rejects(convertFashionMnist({ root, out: join(root, 'o') }), /magic number must be 0x00000801/);
  });

  it(
    'converts the real Debian files (first 20 of each split)',
    {
      skip: existsSync(FASHION_MNIST_DEBIAN_ROOT)
        ? false
        : `${FASHION_MNIST_DEBIAN_ROOT} not present (apt install dataset-fashion-mnist)`,
    },
    async () => {
      const out = tempDir();
      const r = await convertFashionMnist({ out, limit: 20 });
      assert.deepEqual(
        r.splits.map((s) => s.samples),
        [20, 20],
      );
      const labels = gunzipSync(readFileSync(join(FASHION_MNIST_DEBIAN_ROOT, 'train-labels-idx1-ubyte.gz'))).subarray(
        8,
        28,
      );
      const images = gunzipSync(readFileSync(join(FASHION_MNIST_DEBIAN_ROOT, 'train-images-idx3-ubyte.gz'))).subarray(
        16,
        16 + 20 * 784,
      );
      const samples = await readShard(r.splits[0]!.shards[0]!.path);
      for (const [i, s] of samples.entries()) {
        assert.equal(s.fields.get('cls')?.toString(), String(labels[i]));
        assert.deepEqual(
          [...decodePng(s.fields.get('png') as Buffer).data],
          [...images.subarray(i * 784, (i + 1) * 784)],
        );
      }
    },
  );
});
