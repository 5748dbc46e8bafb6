import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { decode as decodePng } from 'fast-png';
import { FASHION_MNIST_DEBIAN_ROOT } from '../../sources/datasets/fashion-mnist.js';
import { encodePng } from '../../sources/datasets/encode-png.js';
import { writeCifar10, writeCifar100, planar } from '../datasets/cifar-fixture.js';
import { fakeLabel, fakePixel, writeFakeFashionMnist } from '../datasets/idx-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { readShard, runCli } from './cli-helper.js';

describe('ndaflow prepare', () => {
  it('fashion-mnist --root: prints the shards written; inspect --json reads back what was written', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 5, 2);
    const out = join(root, 'out');
    const r = await runCli([
      'prepare',
      'fashion-mnist',
      '--root',
      root,
      '--out',
      out,
      '--max-samples',
      '2',
      '--limit',
      '4',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^train: 4 samples in 2 shard\(s\)$/m);
    assert.match(r.stdout, /^test: 2 samples in 1 shard\(s\)$/m);
    assert.match(r.stdout, new RegExp(`^  ${join(out, 'train-000001.tar')}  \\d+ bytes$`, 'm'));
    assert.match(r.stdout, /^wrote 6 samples in /m);
    const shards = [join(out, 'train-000000.tar'), join(out, 'train-000001.tar')];
    const written = (await Promise.all(shards.map(readShard))).flat();
    for (const [i, s] of written.entries()) {
      assert.equal(decodePng(s.fields.get('png') as Buffer).data[28 * 3 + 4], fakePixel(i, 3, 4));
      assert.equal(s.fields.get('cls')?.toString(), String(fakeLabel(i)));
    }
    const listed = await runCli(['inspect', '--json', `${out}/train-{000000..000001}.tar`]);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines,
      written.map((s, i) => ({
        __key__: s.key,
        __url__: shards[Math.floor(i / 2)],
        fields: Object.fromEntries([...s.fields].map(([f, b]) => [f, b.length])),
      })),
    );
  });

  it('fashion-mnist: a bad magic number fails with exit 1 and names the file', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 2, 2);
    const images = join(root, 'train-images-idx3-ubyte.gz');
    const bad = gunzipSync(readFileSync(images));
    bad[3] = 1; // 0x00000801: a labels file where images belong
    writeFileSync(images, bad);
    const r = await runCli(['prepare', 'fashion-mnist', '--root', root, '--out', join(root, 'out')]);
    assert.equal(r.code, 1);
    assert.ok(
      r.stderr.includes(`ndaflow: error: Cannot read idx file ${images} as its magic number must be 0x00000803`),
      r.stderr,
    );
    assert.equal(r.stdout, '');
  });

  it(
    'fashion-mnist --limit 50 on the real Debian files',
    { skip: existsSync(FASHION_MNIST_DEBIAN_ROOT) ? false : `${FASHION_MNIST_DEBIAN_ROOT} not present` },
    async () => {
      const out = tempDir();
      const r = await runCli(['prepare', 'fashion-mnist', '--out', out, '--limit', '50', '--gzip']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^train: 50 samples in 1 shard\(s\)$/m);
      assert.match(r.stdout, /^test: 50 samples in 1 shard\(s\)$/m);
      const labels = gunzipSync(readFileSync(join(FASHION_MNIST_DEBIAN_ROOT, 't10k-labels-idx1-ubyte.gz'))).subarray(
        8,
        58,
      );
      const test = await readShard(join(out, 'test-000000.tar.gz'));
      assert.deepEqual(
        test.map((s) => Number(s.fields.get('cls')?.toString())),
        [...labels],
      );
    },
  );

  it('cifar10 and cifar100 FILE: HWC pixels, labels', async () => {
    const dir = tempDir();
    writeCifar10(join(dir, 'c10.tar.gz'), 1);
    const r10 = await runCli(['prepare', 'cifar10', join(dir, 'c10.tar.gz'), '--out', join(dir, 'o10')]);
    assert.equal(r10.code, 0, r10.stderr);
    assert.match(r10.stdout, /^train: 5 samples in 1 shard\(s\)$/m);
    const train = await readShard(join(dir, 'o10', 'train-000000.tar'));
    const img = decodePng(train[3]!.fields.get('png') as Buffer); // batch 4, record 0
    const [y, x] = [7, 19];
    assert.deepEqual(
      [0, 1, 2].map((c) => img.data[(y * 32 + x) * 3 + c]),
      [0, 1, 2].map((c) => planar(4, 0, c, y * 32 + x)),
    );
    writeCifar100(join(dir, 'c100.tar.gz'), 2, 1);
    const r100 = await runCli([
      'prepare',
      'cifar100',
      join(dir, 'c100.tar.gz'),
      '--out',
      join(dir, 'o100'),
      '--splits',
      'test',
    ]);
    assert.equal(r100.code, 0, r100.stderr);
    assert.match(r100.stdout, /^test: 1 samples in 1 shard\(s\)$/m);
    assert.doesNotMatch(r100.stdout, /^train/m);
    const truncated = join(dir, 'trunc.tar.gz');
    writeCifar10(truncated, 1, 10);
    const bad = await runCli(['prepare', 'cifar10', truncated, '--out', join(dir, 'o3')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /test_batch\.bin .*multiple of the 3073-byte CIFAR-10 record/);
  });

  it('folder DIR --out: class folders to shards; --out is required', async () => {
    const dir = tempDir();
    for (const [cls, n] of [
      ['b-dog', 2],
      ['a-cat', 1],
    ] as const) {
      mkdirSync(join(dir, 'in', cls), { recursive: true });
      for (let i = 0; i < n; i++)
        writeFileSync(join(dir, 'in', cls, `${i}.png`), encodePng(new Uint8Array(4).fill(i), 2, 2, 1));
    }
    const r = await runCli(['prepare', 'folder', join(dir, 'in'), '--out', join(dir, 'out')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^classes: 0=a-cat 1=b-dog$/m);
    assert.match(r.stdout, /^train: 3 samples in 1 shard\(s\)$/m);
    const s = await readShard(join(dir, 'out', 'train-000000.tar'));
    assert.deepEqual(
      s.map((x) => x.fields.get('cls')?.toString()),
      ['0', '1', '1'],
    );
    const noOut = await runCli(['prepare', 'folder', join(dir, 'in')]);
    assert.notEqual(noOut.code, 0);
    assert.match(noOut.stderr, /--out/);
  });
});
