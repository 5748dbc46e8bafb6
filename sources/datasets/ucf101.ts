import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { checkInteger, rangeError } from '../errors.js';
import type { DatasetAdapter, DatasetItem, DatasetListing } from './dataset-adapter.js';
import { DatasetError } from './dataset-error.js';
import { WRITE_DATASET_KEYS, writeDataset, type DatasetResult, type WriteDatasetOptions } from './write-dataset.js';
import { checkOptionKeys, optionKeys, pickOptions } from '../option-keys.js';

const UCF101_ADAPTER_KEYS = optionKeys<Ucf101Options>({ root: true, split: true, annotations: true });
/** The UCF101 converter passes its options on to the adapter and to `writeDataset`: their keys. */
const CONVERT_UCF101_KEYS = [...UCF101_ADAPTER_KEYS, ...WRITE_DATASET_KEYS];

/** Options of {@link ucf101Adapter}. */
export interface Ucf101Options {
  /** The video folder: `<root>/<ClassName>/v_<ClassName>_gXX_cYY.avi` (the extracted `UCF-101`). */
  readonly root: string;
  /** The official train/test split (fold): 1, 2 or 3. @default 1 */
  readonly split?: number;
  /**
   * Folder of `classInd.txt`, `trainlist0N.txt` and `testlist0N.txt`.
   * @default the first of `<root>/ucfTrainTestlist`, `<root>`, `<root>/../ucfTrainTestlist` that holds classInd.txt
   */
  readonly annotations?: string;
}

/** The folders searched, in order, for the UCF101 annotation files when none is given. */
export function ucf101AnnotationDirs(root: string): string[] {
  return [join(root, 'ucfTrainTestlist'), root, join(dirname(root), 'ucfTrainTestlist')];
}

/** Non-empty lines of a text file with their 1-based numbers (CRLF and trailing blanks dropped). */
async function lines(file: string): Promise<{ text: string; line: number }[]> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    throw new DatasetError(
      file,
      undefined,
      `the UCF101 annotation file must be readable (${(err as Error).message})`,
      file,
      { cause: err },
    );
  }
  return content
    .split('\n')
    .map((text, i) => ({ text: text.trim(), line: i + 1 }))
    .filter((l) => l.text !== '');
}

const CLIP_NAME = /^v_(.+)_g(\d+)_c(\d+)$/;

/**
 * UCF101 as a {@link DatasetAdapter}: the official layout (class folders of `.avi`), classes from
 * `classInd.txt` (`1 ApplyEyeMakeup`, 1-based; class index = line's number - 1), split N's items
 * from `trainlist0N.txt` (`ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1`) and `testlist0N.txt`
 * (the path only; the class comes from its folder). Two splits, `train` and `test`, in list order;
 * keys are the clip names (`v_ApplyEyeMakeup_g08_c01`); the json adds `fold`, `group` and `clip`.
 *
 * Errors, all naming the file and line ({@link DatasetError}): a malformed line, an unknown class
 * folder, a trainlist label that disagrees with classInd.txt, and a listed video that does not
 * exist (UCF101 is a fixed archive, so a missing video means a broken extraction: it is an error,
 * raised before anything is written).
 *
 * @throws RangeError for a bad split, or when no annotation folder holds classInd.txt.
 */
export function ucf101Adapter(options: Ucf101Options): DatasetAdapter {
  checkOptionKeys('ucf101Adapter', options, UCF101_ADAPTER_KEYS);
  const fold = checkInteger('read UCF101', 'split', options.split ?? 1, 1, 3);
  const { root } = options;
  return {
    name: 'ucf101',
    root,
    onMissing: 'error',
    async list(): Promise<DatasetListing> {
      const candidates = options.annotations === undefined ? ucf101AnnotationDirs(root) : [options.annotations];
      const dir = candidates.find((d) => existsSync(join(d, 'classInd.txt')));
      if (dir === undefined)
        throw rangeError(
          'read UCF101',
          `classInd.txt must be in ${candidates.join(' or ')} (give the folder with --annotations)`,
          options.annotations ?? root,
        );
      const classFile = join(dir, 'classInd.txt');
      const classes: string[] = [];
      for (const { text, line } of await lines(classFile)) {
        const m = /^(\d+)\s+(\S+)$/.exec(text);
        if (!m) throw new DatasetError(classFile, line, 'a line must be "<index> <ClassName>"', text);
        if (Number(m[1]) !== classes.length + 1)
          throw new DatasetError(
            classFile,
            line,
            `the class indices must be 1, 2, 3, ... in order (expected ${classes.length + 1})`,
            Number(m[1]),
          );
        classes.push(m[2]!);
      }
      if (classes.length === 0) throw new DatasetError(classFile, undefined, 'it must list the classes', 0);
      const index = new Map(classes.map((c, i) => [c, i]));
      const n = String(fold).padStart(2, '0');

      const read = async (kind: 'train' | 'test'): Promise<DatasetItem[]> => {
        const file = join(dir, `${kind}list${n}.txt`);
        const items: DatasetItem[] = [];
        for (const { text, line } of await lines(file)) {
          const m = kind === 'train' ? /^(\S+)\s+(\d+)$/.exec(text) : /^(\S+)(?:\s+(\d+))?$/.exec(text);
          if (!m)
            throw new DatasetError(
              file,
              line,
              kind === 'train'
                ? 'a line must be "<Class>/<video>.avi <label>"'
                : 'a line must be "<Class>/<video>.avi"',
              text,
            );
          const path = m[1]!;
          const folder = path.split('/')[0]!;
          const label = index.get(folder);
          if (!path.includes('/') || label === undefined)
            throw new DatasetError(file, line, `the video's folder must be a class of ${classFile}`, path);
          if (m[2] !== undefined && Number(m[2]) !== label + 1) {
            throw new DatasetError(
              file,
              line,
              `its label must be ${label + 1}, the index of ${folder} in ${classFile}`,
              Number(m[2]),
            );
          }
          const key = posix.basename(path, posix.extname(path));
          const clip = CLIP_NAME.exec(key);
          const meta = clip ? { fold, group: Number(clip[2]), clip: Number(clip[3]) } : { fold };
          items.push({ key, path, label, meta, origin: `${file} line ${line}` });
        }
        return items;
      };
      return {
        classes,
        splits: [
          { name: 'train', items: await read('train') },
          { name: 'test', items: await read('test') },
        ],
      };
    },
  };
}

/**
 * Writes UCF101 split `split` (1-3) to `<out>/train-%06d.tar` and `<out>/test-%06d.tar`: the `.avi`
 * bytes as they are, `cls`, and `json` (`label`, `class`, `split`, `path`, `fold`, `group`, `clip`).
 * See {@link ucf101Adapter} and {@link writeDataset}.
 *
 * @example await convertUcf101({ root: '/data/UCF-101', split: 1, out: 'shards/ucf101-split1', seed: 1 })
 */
export function convertUcf101(options: Ucf101Options & WriteDatasetOptions): Promise<DatasetResult> {
  checkOptionKeys('convertUcf101', options, CONVERT_UCF101_KEYS);
  return writeDataset(
    ucf101Adapter(pickOptions(options, UCF101_ADAPTER_KEYS)),
    pickOptions(options, WRITE_DATASET_KEYS),
  );
}
