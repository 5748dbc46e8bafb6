import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseIdx, readIdx } from '../../sources/datasets/read-idx.js';
import { tempDir } from '../helpers/temp-dir.js';

/** idx bytes: magic 00 00 type ndims, big-endian dims, data. */
function idx(dims: number[], data: Uint8Array, type = 0x08): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, data]);
}

describe('parseIdx', () => {
  it('reads dims and data of a plain and a gzipped file alike', async () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 5);
    const plain = parseIdx(idx([2, 3, 4], data), 'x', { ndims: 3, inner: [3, 4] });
    assert.deepEqual(plain.dims, [2, 3, 4]);
    assert.deepEqual([...plain.data], [...data]);
    const dir = tempDir();
    writeFileSync(join(dir, 'x.gz'), gzipSync(idx([2, 3, 4], data)));
    const gz = await readIdx(join(dir, 'x.gz'), { ndims: 3 });
    assert.deepEqual([...gz.data], [...data]);
    assert.equal(gz.path, join(dir, 'x.gz'));
  });

  it('rejects a bad magic number, naming the file', () => {
    const good = idx([3], Uint8Array.of(1, 2, 3));
    const swapped = Buffer.from(good);
    swapped.writeUInt32BE(0x08010000, 0); // byte-swapped magic
    assert.throws(
      () => parseIdx(swapped, 'labels.idx'),
      (e: Error) =>
        e instanceof RangeError &&
        /labels\.idx/.test(e.message) &&
        /magic number/.test(e.message) &&
        /0x08010000/.test(e.message),
    );
    assert.throws(
      () => parseIdx(idx([3], Uint8Array.of(1, 2, 3), 0x0d), 'f.idx'),
      /f\.idx as its element type must be ubyte \(0x08\), not float/,
    );
    assert.throws(
      () => parseIdx(good, 'images.idx', { ndims: 3 }),
      /images\.idx as its magic number must be 0x00000803/,
    );
    assert.throws(() => parseIdx(Buffer.from([0, 0]), 'tiny'), /tiny/);
  });

  it('rejects unexpected dimensions, truncated data and trailing bytes', () => {
    assert.throws(
      () => parseIdx(idx([1, 28, 27], new Uint8Array(28 * 27)), 'a', { inner: [28, 28] }),
      /dimensions must be \[n, 28, 28\]/,
    );
    assert.throws(
      () => parseIdx(idx([2, 2], new Uint8Array(3)), 'b'),
      /b as its data must be 4 bytes for dimensions \[2, 2\] \(it is truncated\): current value is 3/,
    );
    assert.throws(() => parseIdx(idx([2, 2], new Uint8Array(5)), 'c'), /it has trailing bytes/);
    assert.throws(() => parseIdx(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'd.gz'), /d\.gz as it must be a valid gzip file/);
  });
});
