import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** idx bytes: magic 00 00 08 ndims, big-endian dims, data. */
export function idxBytes(dims: readonly number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, data]);
}

/** The pixel value of image i at (y, x) in the generated Fashion-MNIST-like files. */
export const fakePixel = (i: number, y: number, x: number): number => (i * 37 + y * 5 + x * 3) & 255;
/** The label of image i in the generated files. */
export const fakeLabel = (i: number): number => (i * 3) % 10;

/**
 * Writes the four Fashion-MNIST idx files into `dir` with `train` and `test` images (images
 * gzipped, labels plain, as both occur).
 */
export function writeFakeFashionMnist(dir: string, train: number, test: number): void {
  for (const [stem, n] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    const pixels = new Uint8Array(n * 784);
    for (let i = 0; i < n; i++)
      for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) pixels[i * 784 + y * 28 + x] = fakePixel(i, y, x);
    writeFileSync(join(dir, `${stem}-images-idx3-ubyte.gz`), gzipSync(idxBytes([n, 28, 28], pixels)));
    writeFileSync(
      join(dir, `${stem}-labels-idx1-ubyte`),
      idxBytes(
        [n],
        Uint8Array.from({ length: n }, (_, i) => fakeLabel(i)),
      ),
    );
  }
}
