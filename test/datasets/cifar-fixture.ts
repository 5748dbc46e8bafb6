import { writeTarWithPython, type PyEntry } from '../helpers/python-tar.js';

/** Planar pixel value of record r of a batch tagged b, channel c, pixel p (p = y * 32 + x). */
export const planar = (b: number, r: number, c: number, p: number): number => (b * 53 + r * 29 + c * 101 + p * 7) & 255;

/** One CIFAR record: label byte(s), then R plane, G plane, B plane (1024 bytes each). */
export function cifarRecord(labels: readonly number[], b: number, r: number): Buffer {
  const rec = Buffer.alloc(labels.length + 3072);
  labels.forEach((l, i) => (rec[i] = l));
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) rec[labels.length + c * 1024 + p] = planar(b, r, c, p);
  return rec;
}

export const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** The CIFAR-10 label of record r of batch b in the generated tarball. */
export const label10 = (b: number, r: number): number => (b * 3 + r) % 10;

/**
 * Writes a gzipped CIFAR-10 binary tarball laid out as the official one (entries deliberately not
 * in batch order), `records` records per batch; `extra` bytes are appended to test_batch.bin.
 */
export function writeCifar10(path: string, records = 2, extra = 0, meta = true): void {
  const batch = (b: number) =>
    Buffer.concat(Array.from({ length: records }, (_, r) => cifarRecord([label10(b, r)], b, r)));
  const d = 'cifar-10-batches-bin/';
  const entries: PyEntry[] = [
    { name: 'cifar-10-batches-bin', type: 'dir' },
    { name: `${d}data_batch_1.bin`, data: batch(1) },
    ...(meta ? [{ name: `${d}batches.meta.txt`, data: Buffer.from(`${CIFAR10_NAMES.join('\n')}\n\n`) }] : []),
    { name: `${d}data_batch_3.bin`, data: batch(3) },
    { name: `${d}data_batch_4.bin`, data: batch(4) },
    { name: `${d}test_batch.bin`, data: Buffer.concat([batch(6), Buffer.alloc(extra, 7)]) },
    { name: `${d}readme.html`, data: Buffer.from('<html></html>') },
    { name: `${d}data_batch_2.bin`, data: batch(2) },
    { name: `${d}data_batch_5.bin`, data: batch(5) },
  ];
  writeTarWithPython(path, entries, 'gnu', true);
}

/** Coarse and fine labels of record r of the CIFAR-100 split tagged b. */
export const labels100 = (b: number, r: number): [number, number] => [(b + r) % 20, (b * 7 + r * 13) % 100];

/** Writes a gzipped CIFAR-100 binary tarball laid out as the official one. */
export function writeCifar100(path: string, train = 3, test = 2): void {
  const split = (b: number, n: number) =>
    Buffer.concat(Array.from({ length: n }, (_, r) => cifarRecord(labels100(b, r), b, r)));
  const d = 'cifar-100-binary/';
  writeTarWithPython(
    path,
    [
      { name: 'cifar-100-binary', type: 'dir' },
      {
        name: `${d}coarse_label_names.txt`,
        data: Buffer.from(Array.from({ length: 20 }, (_, i) => `coarse_${i}`).join('\n')),
      },
      {
        name: `${d}fine_label_names.txt`,
        data: Buffer.from(`${Array.from({ length: 100 }, (_, i) => `fine_${i}`).join('\n')}\n`),
      },
      { name: `${d}test.bin`, data: split(9, test) },
      { name: `${d}train.bin`, data: split(8, train) },
    ],
    'ustar',
    true,
  );
}
