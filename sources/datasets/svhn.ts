import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { checkInteger, rangeError } from '../errors.js';
import { CONVERT_OPTION_FLAGS, type ConvertOptions, type ConvertResult } from './convert-options.js';
import { encodePng } from './encode-png.js';
import { readMat5 } from './read-mat5.js';
import { writeSplit } from './write-split.js';
import { checkOptionKeys, optionKeys } from '../option-keys.js';

const CONVERT_SVHN_KEYS = optionKeys<SvhnOptions>({
  ...CONVERT_OPTION_FLAGS,
  split: true,
  limit: true,
});

/** Options of {@link convertSvhn}. */
export interface SvhnOptions extends ConvertOptions {
  /**
   * The split name (shard file prefix).
   * @default the file's name before `_32x32.mat` (`train`, `test`, `extra`)
   */
  readonly split?: string;
  /** Only the first N images. @default all */
  readonly limit?: number;
}

/**
 * Converts an SVHN cropped-digits file (`train_32x32.mat`, `test_32x32.mat`, `extra_32x32.mat`: a
 * MATLAB 5 MAT-file with `X` uint8 `[32, 32, 3, N]` and `y` `[N, 1]` labels 1..10, 10 for the digit 0)
 * into WebDataset shards `<out>/<split>-%06d.tar`: per image a 32x32 RGB `png`, the digit as `cls`
 * (10 becomes 0) and a `json` `{label, index, split}`, under the key `<split>/000123`. For the OOD
 * protocol (SVHN is the paper's first out-of-distribution set for CIFAR-10). Reads the whole file
 * (SVHN's test file is 182 MB). Deterministic.
 *
 * @example await convertSvhn('test_32x32.mat', { out: 'shards/svhn' })
 * @throws RangeError naming the file for a file that is not a MAT-file or lacks `X`/`y` of these shapes.
 */
export async function convertSvhn(file: string, options: SvhnOptions): Promise<ConvertResult> {
  checkOptionKeys('convertSvhn', options, CONVERT_SVHN_KEYS);
  const action = `convert SVHN ${file}`;
  const limit = options.limit === undefined ? Infinity : checkInteger(action, 'limit', options.limit, 0);
  const split =
    options.split ??
    basename(file)
      .replace(/_32x32\.mat$/, '')
      .replace(/\.mat$/, '');
  const arrays = readMat5(await readFile(file), file);
  const X = arrays.get('X');
  const y = arrays.get('y');
  if (X === undefined || y === undefined)
    throw rangeError(action, 'it must hold the arrays X and y', [...arrays.keys()]);
  const [h, w, c, n] = X.dims as [number, number, number, number];
  if (X.dims.length !== 4 || c !== 3 || !(X.data instanceof Uint8Array))
    throw rangeError(action, 'X must be uint8 [height, width, 3, N]', X.dims);
  if (y.data.length !== n) throw rangeError(action, `y must hold one label per image (${n})`, y.data.length);
  function* samples() {
    for (let i = 0; i < Math.min(n, limit); i++) {
      // column-major X(r, col, ch, i) -> HWC
      const hwc = new Uint8Array(h * w * 3);
      const base = i * h * w * 3;
      for (let ch = 0; ch < 3; ch++)
        for (let col = 0; col < w; col++)
          for (let r = 0; r < h; r++) hwc[(r * w + col) * 3 + ch] = X!.data[base + r + h * (col + w * ch)]!;
      const label = y!.data[i]! % 10;
      yield {
        __key__: `${split}/${String(i).padStart(6, '0')}`,
        png: encodePng(hwc, w, h, 3),
        cls: label,
        json: { label, index: i, split },
      };
    }
  }
  return { splits: [await writeSplit(split, samples(), options)] };
}
