import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInteger, rangeError } from '../errors.js';
import { CONVERT_OPTION_FLAGS, type ConvertOptions, type ConvertResult, type SplitResult } from './convert-options.js';
import { encodePng } from './encode-png.js';
import { readNpy } from './read-npy.js';
import { writeSplit } from './write-split.js';
import { checkOptionKeys, optionKeys } from '../option-keys.js';

const CONVERT_CIFAR10_C_KEYS = optionKeys<Cifar10COptions>({
  ...CONVERT_OPTION_FLAGS,
  corruptions: true,
  severity: true,
  limit: true,
});

/** Options of {@link convertCifar10C}. */
export interface Cifar10COptions extends ConvertOptions {
  /**
   * The corruptions to convert (file names without `.npy`, e.g. `gaussian_noise`).
   * @default every `.npy` file of the folder but `labels.npy`
   */
  readonly corruptions?: readonly string[];
  /**
   * The severity, 1..5: each file holds 5 x 10,000 images, severity s in rows (s-1)*10,000..s*10,000-1.
   * The paper's official evaluation takes the last 10,000 rows (severity 5). With files of another
   * length, the rows are split in 5 equal parts the same way.
   * @default 5
   */
  readonly severity?: number;
  /** Only the first N images of each corruption. @default all (10,000) */
  readonly limit?: number;
}

/**
 * Converts CIFAR-10-C (Hendrycks & Dietterich 2019: a folder of `<corruption>.npy` uint8
 * `[50000, 32, 32, 3]` arrays and `labels.npy`) into one set of shards per corruption,
 * `<out>/<corruption>-%06d.tar`: per image a 32x32 RGB `png`, the CIFAR-10 label as `cls` and a
 * `json` `{label, index, corruption, severity}`, under the key `<corruption>/000123`. The OOD
 * protocol scores one corruption at a time. Reads one corruption file at a time. Deterministic.
 *
 * @example await convertCifar10C('CIFAR-10-C', { out: 'shards/cifar10-c', corruptions: ['fog'] })
 * @throws RangeError naming the file for a missing corruption, a file that is not `.npy` uint8
 *   `[N, 32, 32, 3]` with N divisible by 5, or labels of another length.
 */
export async function convertCifar10C(dir: string, options: Cifar10COptions): Promise<ConvertResult> {
  checkOptionKeys('convertCifar10C', options, CONVERT_CIFAR10_C_KEYS);
  const action = `convert CIFAR-10-C in ${dir}`;
  const severity = checkInteger(action, 'severity', options.severity ?? 5, 1, 5);
  const limit = options.limit === undefined ? Infinity : checkInteger(action, 'limit', options.limit, 0);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.npy'));
  const corruptions =
    options.corruptions ??
    files
      .filter((f) => f !== 'labels.npy')
      .map((f) => f.slice(0, -4))
      .sort();
  if (corruptions.length === 0) throw rangeError(action, 'the folder must hold <corruption>.npy files', files);
  const labelsFile = join(dir, 'labels.npy');
  const labels = files.includes('labels.npy') ? readNpy(await readFile(labelsFile), labelsFile).data : null;
  const results: SplitResult[] = [];
  let done = 0;
  for (const corruption of corruptions) {
    const file = join(dir, `${corruption}.npy`);
    if (!files.includes(`${corruption}.npy`)) throw rangeError(action, `it must hold ${corruption}.npy`, files);
    const array = readNpy(await readFile(file), file);
    const [n, h, w, c] = array.shape as [number, number, number, number];
    if (!(array.data instanceof Uint8Array) || array.shape.length !== 4 || c !== 3 || n % 5 !== 0)
      throw rangeError(`read ${file}`, 'it must be uint8 [N, h, w, 3] with N a multiple of 5', array.shape);
    if (labels !== null && labels.length !== n)
      throw rangeError(`read ${labelsFile}`, `it must hold one label per image of ${corruption} (${n})`, labels.length);
    const per = n / 5;
    const first = (severity - 1) * per;
    const data = array.data;
    function* samples() {
      for (let i = 0; i < Math.min(per, limit); i++) {
        const row = first + i;
        const label = labels === null ? null : labels[row]!;
        yield {
          __key__: `${corruption}/${String(i).padStart(6, '0')}`,
          png: encodePng(data.subarray(row * h * w * 3, (row + 1) * h * w * 3), w, h, 3),
          ...(label === null ? {} : { cls: label }),
          json: { label, index: row, corruption, severity },
        };
      }
    }
    const r = await writeSplit(corruption, samples(), options, done);
    done += r.samples;
    results.push(r);
  }
  return { splits: results };
}
