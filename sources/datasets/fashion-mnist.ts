import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkInteger, rangeError } from '../errors.js';
import type { WritableSample } from '../shard-writer.js';
import { CONVERT_OPTION_FLAGS, type ConvertOptions, type ConvertResult, type SplitResult } from './convert-options.js';
import { encodePng } from './encode-png.js';
import { readIdx, type IdxArray } from './read-idx.js';
import { writeSplit } from './write-split.js';
import { checkOptionKeys, optionKeys } from '../option-keys.js';

const CONVERT_FASHION_MNIST_KEYS = optionKeys<FashionMnistOptions>({
  ...CONVERT_OPTION_FLAGS,
  root: true,
  splits: true,
  limit: true,
  limits: true,
});

/** The ten Fashion-MNIST classes, by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Where Debian's `dataset-fashion-mnist` package puts the idx files. */
export const FASHION_MNIST_DEBIAN_ROOT = '/usr/share/datasets/fashion-mnist';

/** A Fashion-MNIST split and the stem of its idx files. */
export type FashionMnistSplit = 'train' | 'test';
const FILE_STEM: Readonly<Record<FashionMnistSplit, string>> = { train: 'train', test: 't10k' };

/** Options of {@link convertFashionMnist}. */
export interface FashionMnistOptions extends ConvertOptions {
  /** Folder with the four idx files (`train-images-idx3-ubyte[.gz]`, ...). @default '/usr/share/datasets/fashion-mnist' */
  readonly root?: string;
  /** Splits to convert, in this order. @default ['train', 'test'] */
  readonly splits?: readonly FashionMnistSplit[];
  /** Convert only the first N images of each split. @default all */
  readonly limit?: number;
  /** Per-split limits, over `limit`. */
  readonly limits?: Partial<Readonly<Record<FashionMnistSplit, number>>>;
}

/** The path of one idx file, gzipped or not (gzipped preferred when both exist). */
function idxPath(root: string, split: FashionMnistSplit, kind: 'images' | 'labels'): string {
  const name = `${FILE_STEM[split]}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte`;
  const gz = join(root, `${name}.gz`);
  if (existsSync(gz)) return gz;
  const plain = join(root, name);
  if (existsSync(plain)) return plain;
  throw rangeError(
    'convert Fashion-MNIST',
    `the folder must hold ${name}.gz or ${name} (Debian: apt install dataset-fashion-mnist)`,
    root,
  );
}

/** Checks that images and labels agree and every label is a class. */
function checkPair(images: IdxArray, labels: IdxArray): void {
  const n = images.dims[0] as number;
  if (labels.dims[0] !== n) {
    throw rangeError(
      'convert Fashion-MNIST',
      `${labels.path} must hold one label per image of ${images.path} (${n})`,
      labels.dims[0],
    );
  }
  const bad = labels.data.findIndex((l) => l >= FASHION_MNIST_CLASSES.length);
  if (bad >= 0)
    throw rangeError(
      'convert Fashion-MNIST',
      `every label of ${labels.path} must be in [0, 9] (label ${bad})`,
      labels.data[bad],
    );
}

function* samplesOf(
  split: FashionMnistSplit,
  images: IdxArray,
  labels: IdxArray,
  count: number,
): Generator<WritableSample> {
  for (let i = 0; i < count; i++) {
    const label = labels.data[i] as number;
    const pixels = images.data.subarray(i * 784, (i + 1) * 784);
    yield {
      __key__: `${split}/${String(i).padStart(6, '0')}`,
      png: encodePng(pixels, 28, 28, 1),
      cls: label,
      json: { label, class: FASHION_MNIST_CLASSES[label], index: i, split },
    };
  }
}

/**
 * Converts Fashion-MNIST's idx files into WebDataset shards `<out>/train-%06d.tar` and
 * `<out>/test-%06d.tar`: per image a 28x28 gray `png`, its label as `cls` and a `json`
 * (`{"label", "class", "index", "split"}`), under the key `train/000123` (split and index in the
 * idx file), in file order. The output is byte-for-byte reproducible.
 *
 * @example await convertFashionMnist({ out: 'data/fmnist', limits: { train: 3000, test: 1000 }, maxSamples: 750 })
 * @throws RangeError naming the file for a missing file, a bad magic number, wrong dimensions, a
 *   truncated file, a label/image count mismatch or a label out of range.
 */
export async function convertFashionMnist(options: FashionMnistOptions): Promise<ConvertResult> {
  checkOptionKeys('convertFashionMnist', options, CONVERT_FASHION_MNIST_KEYS);
  const root = options.root ?? FASHION_MNIST_DEBIAN_ROOT;
  const splits = options.splits ?? ['train', 'test'];
  for (const s of splits)
    if (s !== 'train' && s !== 'test')
      throw rangeError('convert Fashion-MNIST', 'every split must be train or test', s);
  if (options.limit !== undefined) checkInteger('convert Fashion-MNIST', 'limit', options.limit, 0);
  for (const s of splits)
    if (options.limits?.[s] !== undefined) checkInteger('convert Fashion-MNIST', `${s} limit`, options.limits[s], 0);
  // Open and check everything first, so a bad test file fails before train shards are written.
  const loaded = [];
  for (const split of splits) {
    const images = await readIdx(idxPath(root, split, 'images'), { ndims: 3, inner: [28, 28] });
    const labels = await readIdx(idxPath(root, split, 'labels'), { ndims: 1 });
    checkPair(images, labels);
    const limit = options.limits?.[split] ?? options.limit ?? Infinity;
    loaded.push({ split, images, labels, count: Math.min(images.dims[0] as number, limit) });
  }
  const results: SplitResult[] = [];
  let done = 0;
  for (const { split, images, labels, count } of loaded) {
    const r = await writeSplit(split, samplesOf(split, images, labels, count), options, done);
    done += r.samples;
    results.push(r);
  }
  return { splits: results };
}
