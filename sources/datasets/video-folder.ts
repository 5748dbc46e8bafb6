import { join, posix } from 'node:path';
import { rangeError } from '../errors.js';
import { VIDEO_EXTENSIONS } from '../video/video-clip.js';
import type { DatasetAdapter, DatasetItem, DatasetListing } from './dataset-adapter.js';
import { byCodePoint, subFolders, walkFiles } from './folder-tree.js';
import { WRITE_DATASET_KEYS, writeDataset, type DatasetResult, type WriteDatasetOptions } from './write-dataset.js';
import { checkOptionKeys, optionKeys, pickOptions } from '../option-keys.js';

const VIDEO_FOLDER_ADAPTER_KEYS = optionKeys<VideoFolderOptions>({ split: true, extensions: true });
/** The video-folder converter passes its options on to the adapter and to `writeDataset`: their keys. */
const CONVERT_VIDEO_FOLDER_KEYS = [...VIDEO_FOLDER_ADAPTER_KEYS, ...WRITE_DATASET_KEYS];

/** Split folder names {@link videoFolderAdapter} recognises at the top of a tree, in writing order. */
export const SPLIT_FOLDER_NAMES: readonly string[] = ['train', 'val', 'validation', 'test'];

/** Options of {@link videoFolderAdapter}. */
export interface VideoFolderOptions {
  /** Name of the split when the tree has no split folders. @default 'train' */
  readonly split?: string;
  /** File extensions taken (lower case, no dot); other files are reported in `ignored`. @default VIDEO_EXTENSIONS */
  readonly extensions?: readonly string[];
}

/**
 * A folder of class sub-folders of videos as a {@link DatasetAdapter}, parallel to the image
 * `folder` converter (`folder.ts`): `DIR/<class>/**\/<video>.mp4`, classes = the sub-folder names
 * sorted by code point, items class by class, path by path, keys = positions (`000123`), json
 * `{"label", "class", "split", "path"}`. When every top-level folder is a split name
 * (`SPLIT_FOLDER_NAMES`: `DIR/train/<class>/...`, `DIR/test/<class>/...`), each becomes a
 * split and the classes are the union of their class folders, so indices agree across splits.
 * Files with other extensions are reported in `ignored`.
 *
 * @throws RangeError (when listed) for a tree without class folders or without videos.
 */
export function videoFolderAdapter(dir: string, options: VideoFolderOptions = {}): DatasetAdapter {
  checkOptionKeys('videoFolderAdapter', options, VIDEO_FOLDER_ADAPTER_KEYS);
  const action = `convert video folder ${dir}`;
  const extensions = new Set((options.extensions ?? VIDEO_EXTENSIONS).map((e) => e.toLowerCase().replace(/^\./, '')));
  const single = options.split ?? 'train';
  if (!/^[A-Za-z0-9_-]+$/.test(single))
    throw rangeError(action, 'the split name must be letters, digits, _ or -', single);
  return {
    name: 'video-folder',
    root: dir,
    async list(): Promise<DatasetListing> {
      const top = await subFolders(dir);
      const bySplit = top.length > 0 && top.every((d) => SPLIT_FOLDER_NAMES.includes(d));
      const splitDirs = bySplit
        ? SPLIT_FOLDER_NAMES.filter((s) => top.includes(s)).map((s) => ({ name: s, prefix: `${s}/` }))
        : [{ name: single, prefix: '' }];
      const perSplit = await Promise.all(
        splitDirs.map(async (s) => ({ ...s, classes: await subFolders(join(dir, s.prefix)) })),
      );
      const classes = [...new Set(perSplit.flatMap((s) => s.classes))].sort(byCodePoint);
      if (classes.length === 0)
        throw rangeError(action, `it must hold one sub-folder per class${bySplit ? ' in each split folder' : ''}`, dir);
      const ignored: string[] = [];
      const splits: { name: string; items: DatasetItem[] }[] = [];
      for (const s of perSplit) {
        const items: DatasetItem[] = [];
        for (const name of s.classes) {
          const label = classes.indexOf(name);
          for (const rel of await walkFiles(join(dir, s.prefix, name))) {
            const path = `${s.prefix}${name}/${rel}`;
            if (extensions.has(posix.extname(rel).slice(1).toLowerCase())) items.push({ path, label });
            else ignored.push(path);
          }
        }
        splits.push({ name: s.name, items });
      }
      if (splits.every((s) => s.items.length === 0))
        throw rangeError(action, `its class folders must hold videos (${[...extensions].join(', ')})`, 0);
      return { classes, splits, ignored };
    },
  };
}

/**
 * Writes a folder of class sub-folders of videos to `<out>/<split>-%06d.tar` (one split, or one per
 * split folder): the video bytes under their lower-cased extension, `cls`, `json`. See
 * {@link videoFolderAdapter} and {@link writeDataset} (`seed` shuffles, `limit` cuts each split).
 *
 * @example await convertVideoFolder('clips', { out: 'shards/clips', seed: 1 })
 */
export function convertVideoFolder(
  dir: string,
  options: VideoFolderOptions & WriteDatasetOptions,
): Promise<DatasetResult> {
  checkOptionKeys('convertVideoFolder', options, CONVERT_VIDEO_FOLDER_KEYS);
  return writeDataset(
    videoFolderAdapter(dir, pickOptions(options, VIDEO_FOLDER_ADAPTER_KEYS)),
    pickOptions(options, WRITE_DATASET_KEYS),
  );
}
