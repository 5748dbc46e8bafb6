import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { decode as decodePng } from 'fast-png';
import { convertCifar10C } from '../../sources/datasets/cifar10-c.js';
import { readMat5 } from '../../sources/datasets/read-mat5.js';
import { readNpy } from '../../sources/datasets/read-npy.js';
import { convertSvhn } from '../../sources/datasets/svhn.js';
import { readShard } from '../cli/cli-helper.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A .npy file (format 1.0) of a C-ordered array, as numpy.save writes it. */
function npy(dtype: string, shape: number[], data: ArrayBufferView): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    head,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

/** A MATLAB 5.0 MAT-file with numeric arrays, each in an miCOMPRESSED element (as MATLAB and scipy write SVHN's). */
function mat5(
  arrays: { name: string; cls: number; dims: number[]; type: number; data: Buffer }[],
  compress = true,
): Buffer {
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
  const element = (type: number, data: Buffer) => {
    const tag = Buffer.alloc(8);
    tag.writeUInt32LE(type, 0);
    tag.writeUInt32LE(data.length, 4);
    return pad(Buffer.concat([tag, data]));
  };
  const header = Buffer.alloc(128, 0x20);
  header.write('MATLAB 5.0 MAT-file, written by the ndaflow tests', 0, 'latin1');
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  const body = arrays.map((a) => {
    const flags = Buffer.alloc(8);
    flags.writeUInt8(a.cls, 0);
    const dims = Buffer.alloc(4 * a.dims.length);
    a.dims.forEach((d, i) => dims.writeInt32LE(d, 4 * i));
    const matrix = element(
      14,
      Buffer.concat([
        element(6, flags),
        element(5, dims),
        element(1, Buffer.from(a.name, 'latin1')),
        element(a.type, a.data),
      ]),
    );
    if (!compress) return matrix;
    const z = deflateSync(matrix);
    const tag = Buffer.alloc(8);
    tag.writeUInt32LE(15, 0);
    tag.writeUInt32LE(z.length, 4);
    return Buffer.concat([tag, z]);
  });
  return Buffer.concat([header, ...body]);
}

/** Pixel (r, col, ch) of image i of a test set: distinct and deterministic. */
const value = (i: number, r: number, col: number, ch: number) => (i * 31 + r * 7 + col * 3 + ch * 50) % 256;

function hasScipy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import scipy.io, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('readNpy', () => {
  it('reads uint8, int64 and float32 arrays as numpy writes them, and refuses what it cannot read', () => {
    const u8 = readNpy(npy('|u1', [2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6])));
    assert.deepEqual([u8.dtype, u8.shape, Array.from(u8.data)], ['|u1', [2, 3], [1, 2, 3, 4, 5, 6]]);
    const i8 = readNpy(npy('<i8', [3], BigInt64Array.from([0n, 7n, -2n])));
    assert.deepEqual(Array.from(i8.data), [0, 7, -2]);
    const f4 = readNpy(npy('<f4', [2], Float32Array.from([0.5, -1.25])));
    assert.deepEqual(Array.from(f4.data), [0.5, -1.25]);
    assert.throws(() => readNpy(Buffer.from('not a npy file')), /must start with the \.npy magic/);
    const fortran = Buffer.from(
      npy('|u1', [1], Uint8Array.of(1)).toString('latin1').replace('False', 'True '),
      'latin1',
    );
    assert.throws(() => readNpy(fortran), /must be C-ordered/);
    assert.throws(() => readNpy(npy('|u1', [4], Uint8Array.of(1, 2))), /must hold 4 x 1 bytes/);
  });
});

describe('readMat5', () => {
  it('reads compressed and plain numeric arrays, widening the stored type to the class', () => {
    for (const compress of [true, false]) {
      const file = mat5(
        [
          { name: 'X', cls: 9, dims: [2, 2, 1, 1], type: 2, data: Buffer.from([1, 2, 3, 4]) },
          // a double array stored as uint8, as MATLAB does when the values fit
          { name: 'y', cls: 6, dims: [2, 1], type: 2, data: Buffer.from([10, 3]) },
        ],
        compress,
      );
      const arrays = readMat5(file);
      assert.deepEqual(arrays.get('X')!.dims, [2, 2, 1, 1]);
      assert.ok(arrays.get('X')!.data instanceof Uint8Array);
      assert.deepEqual(Array.from(arrays.get('X')!.data), [1, 2, 3, 4]);
      assert.ok(arrays.get('y')!.data instanceof Float64Array);
      assert.deepEqual(Array.from(arrays.get('y')!.data), [10, 3]);
    }
    assert.throws(() => readMat5(Buffer.alloc(200)), /must be a little-endian MATLAB 5\.0 MAT-file/);
  });

  it(
    'reads what scipy.io.savemat writes (compressed, as SVHN is distributed)',
    { skip: !hasScipy() && 'no python3 with scipy' },
    () => {
      const dir = tempDir();
      const path = join(dir, 'x.mat');
      execFileSync('python3', [
        '-c',
        `import numpy as np, scipy.io as s; X = np.arange(2*3*3*4, dtype=np.uint8).reshape(2, 3, 3, 4); s.savemat('${path}', {'X': X, 'y': np.array([[10.0], [1], [2], [3]])}, do_compression=True)`,
      ]);
      const arrays = readMat5(readFileSync(path));
      assert.deepEqual(arrays.get('X')!.dims, [2, 3, 3, 4]);
      // column-major: element (a, b, c, d) at a + 2 (b + 3 (c + 3 d)); numpy's value is ((a*3 + b)*3 + c)*4 + d
      const X = arrays.get('X')!.data;
      for (const [a, b, c, d] of [
        [0, 0, 0, 1],
        [1, 2, 0, 3],
        [1, 1, 2, 2],
      ] as const)
        assert.equal(X[a + 2 * (b + 3 * (c + 3 * d))], ((a * 3 + b) * 3 + c) * 4 + d);
      assert.deepEqual(Array.from(arrays.get('y')!.data), [10, 1, 2, 3]);
    },
  );
});

describe('convertSvhn', () => {
  it('writes png + cls + json shards from an SVHN-format MAT-file (X [32, 32, 3, N] column-major, y 1..10, 10 = digit 0)', async () => {
    const dir = tempDir();
    const n = 3;
    const X = Buffer.alloc(32 * 32 * 3 * n);
    for (let i = 0; i < n; i++)
      for (let ch = 0; ch < 3; ch++)
        for (let col = 0; col < 32; col++)
          for (let r = 0; r < 32; r++) X[r + 32 * (col + 32 * (ch + 3 * i))] = value(i, r, col, ch);
    const file = join(dir, 'test_32x32.mat');
    writeFileSync(
      file,
      mat5([
        { name: 'X', cls: 9, dims: [32, 32, 3, n], type: 2, data: X },
        { name: 'y', cls: 6, dims: [n, 1], type: 9, data: Buffer.from(Float64Array.from([10, 1, 7]).buffer) },
      ]),
    );
    const out = join(dir, 'shards');
    const r = await convertSvhn(file, { out });
    assert.equal(r.splits[0]!.split, 'test');
    const samples = await readShard(r.splits[0]!.shards[0]!.path);
    assert.deepEqual(
      samples.map((s) => [s.key, s.fields.get('cls')!.toString()]),
      [
        ['test/000000', '0'],
        ['test/000001', '1'],
        ['test/000002', '7'],
      ],
    );
    const png = decodePng(samples[2]!.fields.get('png')!);
    assert.deepEqual([png.width, png.height, png.channels], [32, 32, 3]);
    for (const [rr, col, ch] of [
      [0, 0, 0],
      [5, 17, 2],
      [31, 3, 1],
    ] as const)
      assert.equal(png.data[(rr * 32 + col) * 3 + ch], value(2, rr, col, ch), `pixel (${rr}, ${col}, ${ch})`);
    await assert.rejects(convertSvhn(file.replace('test_32x32', 'missing'), { out }), /ENOENT/);
  });
});

describe('convertCifar10C', () => {
  it('writes one shard set per corruption at the chosen severity (default 5, the official last 10,000 rows)', async () => {
    const dir = tempDir();
    const root = join(dir, 'CIFAR-10-C');
    mkdirSync(root);
    const n = 10; // 5 severities x 2 images
    const images = new Uint8Array(n * 32 * 32 * 3);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < 32; r++)
        for (let col = 0; col < 32; col++)
          for (let ch = 0; ch < 3; ch++) images[((i * 32 + r) * 32 + col) * 3 + ch] = value(i, r, col, ch);
    writeFileSync(join(root, 'fog.npy'), npy('|u1', [n, 32, 32, 3], images));
    writeFileSync(
      join(root, 'snow.npy'),
      npy(
        '|u1',
        [n, 32, 32, 3],
        images.map((v) => 255 - v),
      ),
    );
    writeFileSync(
      join(root, 'labels.npy'),
      npy(
        '<i8',
        [n],
        BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 10)),
      ),
    );
    const out = join(dir, 'shards');
    const r = await convertCifar10C(root, { out });
    assert.deepEqual(
      r.splits.map((s) => [s.split, s.samples]),
      [
        ['fog', 2],
        ['snow', 2],
      ],
    );
    const fog = await readShard(r.splits[0]!.shards[0]!.path);
    assert.deepEqual(
      fog.map((s) => [s.key, s.fields.get('cls')!.toString(), JSON.parse(s.fields.get('json')!.toString()).index]),
      [
        ['fog/000000', '8', 8],
        ['fog/000001', '9', 9],
      ],
    );
    const png = decodePng(fog[1]!.fields.get('png')!);
    assert.equal(png.data[(4 * 32 + 9) * 3 + 1], value(9, 4, 9, 1));
    const first = await convertCifar10C(root, { out: join(dir, 's1'), severity: 1, corruptions: ['snow'] });
    const snow = await readShard(first.splits[0]!.shards[0]!.path);
    assert.equal(JSON.parse(snow[0]!.fields.get('json')!.toString()).index, 0);
    await assert.rejects(convertCifar10C(root, { out, corruptions: ['frost'] }), /it must hold frost\.npy/);
    await assert.rejects(convertCifar10C(root, { out, severity: 6 }), /severity must be in \[1, 5\]/);
  });
});
