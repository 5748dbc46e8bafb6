import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decode as decodePng } from 'fast-png';
import { convertCifar } from '../../sources/datasets/cifar.js';
import { readShard } from '../cli/cli-helper.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeTarWithPython } from '../helpers/python-tar.js';
import { CIFAR10_NAMES, label10, labels100, planar, writeCifar10, writeCifar100 } from './cifar-fixture.js';

/** Checks every pixel of a decoded 32x32 RGB PNG against the planar source: HWC[(y*32+x)*3+c] = planar[c*1024 + y*32+x]. */
function assertHwc(png: Buffer, b: number, r: number): void {
  const img = decodePng(png);
  assert.deepEqual([img.width, img.height, img.channels], [32, 32, 3]);
  for (let p = 0; p < 1024; p++)
    for (let c = 0; c < 3; c++)
      if (img.data[p * 3 + c] !== planar(b, r, c, p))
        assert.fail(
          `pixel ${p} channel ${c} of batch ${b} record ${r}: ${img.data[p * 3 + c]} != ${planar(b, r, c, p)}`,
        );
}

describe('convertCifar', () => {
  it('CIFAR-10: batches 1..5 in order whatever the tar order, planar records to HWC PNGs, labels and names', async () => {
    const dir = tempDir();
    const file = join(dir, 'cifar-10-binary.tar.gz');
    writeCifar10(file, 2);
    const r = await convertCifar('cifar10', file, { out: join(dir, 'out'), maxSamples: 4 });
    assert.deepEqual(
      r.splits.map((s) => [s.split, s.samples, s.shards.length]),
      [
        ['train', 10, 3],
        ['test', 2, 1],
      ],
    );
    const train = (await Promise.all(r.splits[0]!.shards.map((s) => readShard(s.path)))).flat();
    assert.equal(train.length, 10);
    for (const [i, s] of train.entries()) {
      const b = 1 + Math.floor(i / 2);
      const rec = i % 2;
      assert.equal(s.key, `train/${String(i).padStart(6, '0')}`);
      assert.equal(s.fields.get('cls')?.toString(), String(label10(b, rec)));
      assert.deepEqual(JSON.parse(s.fields.get('json')?.toString() ?? ''), {
        label: label10(b, rec),
        class: CIFAR10_NAMES[label10(b, rec)],
        index: i,
        split: 'train',
      });
      assertHwc(s.fields.get('png') as Buffer, b, rec);
    }
    const test = await readShard(r.splits[1]!.shards[0]!.path);
    assert.deepEqual(
      test.map((s) => s.key),
      ['test/000000', 'test/000001'],
    );
    assertHwc(test[1]!.fields.get('png') as Buffer, 6, 1);
  });

  it('CIFAR-100: coarse and fine labels, fine as cls', async () => {
    const dir = tempDir();
    const file = join(dir, 'cifar-100-binary.tar.gz');
    writeCifar100(file, 3, 2);
    const r = await convertCifar('cifar100', file, { out: join(dir, 'out') });
    assert.deepEqual(
      r.splits.map((s) => s.samples),
      [3, 2],
    );
    const train = await readShard(r.splits[0]!.shards[0]!.path);
    for (const [i, s] of train.entries()) {
      const [coarse, fine] = labels100(8, i);
      assert.equal(s.fields.get('cls')?.toString(), String(fine));
      assert.deepEqual(JSON.parse(s.fields.get('json')?.toString() ?? ''), {
        label: fine,
        class: `fine_${fine}`,
        coarse_label: coarse,
        coarse_class: `coarse_${coarse}`,
        index: i,
        split: 'train',
      });
      assertHwc(s.fields.get('png') as Buffer, 8, i);
    }
    assertHwc((await readShard(r.splits[1]!.shards[0]!.path))[0]!.fields.get('png') as Buffer, 9, 0);
  });

  it('limits per split and reads a plain (not gzipped) tarball too', async () => {
    const dir = tempDir();
    const gz = join(dir, 'c.tar.gz');
    writeCifar10(gz, 3);
    const plain = join(dir, 'c.tar');
    writeFileSync(plain, (await import('node:zlib')).gunzipSync(readFileSync(gz)));
    const r = await convertCifar('cifar10', plain, { out: join(dir, 'out'), limit: 4, limits: { test: 1 } });
    assert.deepEqual(
      r.splits.map((s) => s.samples),
      [4, 1],
    );
    const keys = (await readShard(r.splits[0]!.shards[0]!.path)).map((s) => s.key);
    assert.deepEqual(keys, ['train/000000', 'train/000001', 'train/000002', 'train/000003']);
  });

  it('rejects a batch that ends in the middle of a record, naming the entry and the tarball', async () => {
    const dir = tempDir();
    const file = join(dir, 'cifar-10-binary.tar.gz');
    writeCifar10(file, 2, 100);
    await assert.rejects(
      convertCifar('cifar10', file, { out: join(dir, 'out') }),
      (e: Error) =>
        e instanceof RangeError &&
        e.message.includes('cifar-10-batches-bin/test_batch.bin') &&
        e.message.includes(file) &&
        /multiple of the 3073-byte CIFAR-10 record \(it ends 100 bytes into record 2\)/.test(e.message),
    );
  });

  it('rejects a cut tarball, a missing names file, a missing batch, the wrong variant, a bad label', async () => {
    const dir = tempDir();
    const file = join(dir, 'ok.tar.gz');
    writeCifar10(file, 2);
    const cut = join(dir, 'cut.tar.gz');
    const bytes = readFileSync(file);
    writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    await assert.rejects(
      convertCifar('cifar10', cut, { out: join(dir, 'o1') }),
      (e: Error) => e instanceof RangeError && e.message.includes(cut) && /complete \(gzipped\) tar/.test(e.message),
    );
    const noMeta = join(dir, 'nometa.tar.gz');
    writeCifar10(noMeta, 1, 0, false);
    await assert.rejects(convertCifar('cifar10', noMeta, { out: join(dir, 'o2') }), /must contain batches\.meta\.txt/);
    await assert.rejects(
      convertCifar('cifar100', file, { out: join(dir, 'o3') }),
      /must contain fine_label_names\.txt/,
    );
    const partial = join(dir, 'partial.tar.gz');
    writeTarWithPython(
      partial,
      [
        { name: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from(CIFAR10_NAMES.join('\n')) },
        { name: 'cifar-10-batches-bin/data_batch_1.bin', data: Buffer.alloc(3073) },
      ],
      'pax',
      true,
    );
    await assert.rejects(
      convertCifar('cifar10', partial, { out: join(dir, 'o4') }),
      /must contain data_batch_2\.bin \(found: batches\.meta\.txt, data_batch_1\.bin\)/,
    );
    const badLabel = join(dir, 'badlabel.tar.gz');
    const entries = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch'].map(
      (n) => ({ name: `cifar-10-batches-bin/${n}.bin`, data: Buffer.alloc(3073, n === 'data_batch_2' ? 12 : 1) }),
    );
    writeTarWithPython(
      badLabel,
      [{ name: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from(CIFAR10_NAMES.join('\n')) }, ...entries],
      'pax',
      true,
    );
    await assert.rejects(
      convertCifar('cifar10', badLabel, { out: join(dir, 'o5') }),
      /record 0 of cifar-10-batches-bin\/data_batch_2\.bin .* label must be in \[0, 9\]: current value is 12/,
    );
  });
});
