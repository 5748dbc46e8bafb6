import { readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { checkInteger, rangeError } from '../errors.js';
import { Random } from '../random.js';
import type { WritableSample } from '../shard-writer.js';
import { CONVERT_OPTION_FLAGS, type ConvertOptions, type ConvertResult } from './convert-options.js';
import { subFolders, walkFiles } from './folder-tree.js';
import { DeferredSample, checkPart, sampleSize, writeSplit } from './write-split.js';
import { checkOptionKeys, optionKeys } from '../option-keys.js';

const CONVERT_FOLDER_KEYS = optionKeys<FolderOptions>({
  ...CONVERT_OPTION_FLAGS,
  split: true,
  extensions: true,
  limit: true,
  seed: true,
});

/** Image extensions {@link convertFolder} takes by default. */
export const IMAGE_EXTENSIONS: readonly string[] = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'tif', 'tiff', 'bmp', 'avif'];

/** Options of {@link convertFolder}. */
export interface FolderOptions extends ConvertOptions {
  /** Name of the split: the shards are `<out>/<split>-%06d.tar`. @default 'train' */
  readonly split?: string;
  /** File extensions taken (lower case, no dot); other files are counted in `ignored`. @default IMAGE_EXTENSIONS */
  readonly extensions?: readonly string[];
  /** Write only the first N images (after ordering). @default all */
  readonly limit?: number;
  /**
   * Shuffle the image order with this seed (deterministic), so that shards mix the classes; without
   * it the order is class by class, path by path. @default no shuffle
   */
  readonly seed?: number;
}

/** What {@link convertFolder} wrote, plus the classes and the files it left out. */
export interface FolderResult extends ConvertResult {
  /** Class names by class index (sorted folder names). */
  readonly classes: readonly string[];
  /** Files that are not images by their extension (relative paths). */
  readonly ignored: readonly string[];
}

/**
 * Converts a folder of class sub-folders (`DIR/cat/1.jpg`, `DIR/dog/a/2.png`, ...) into WebDataset
 * shards: per image its bytes under its own lower-cased extension (`jpg`, `png`, ...), the class
 * index as `cls` (classes are the sub-folder names sorted by code point) and a `json`
 * (`{"label", "class", "path"}`), under the key `000123` (the image's position in the output). The
 * order is deterministic: class by class, path by path, or shuffled by `seed`. Images are copied
 * as they are, not decoded.
 *
 * @example await convertFolder('photos', { out: 'shards/photos', seed: 1, maxSamples: 1000 })
 * @throws RangeError when the folder has no class sub-folder or no image.
 */
export async function convertFolder(dir: string, options: FolderOptions): Promise<FolderResult> {
  checkOptionKeys('convertFolder', options, CONVERT_FOLDER_KEYS);
  const action = `convert folder ${dir}`;
  const extensions = new Set((options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase().replace(/^\./, '')));
  if (options.limit !== undefined) checkInteger(action, 'limit', options.limit, 0);
  if (options.seed !== undefined) checkInteger(action, 'seed', options.seed, 0, 2 ** 32 - 1);
  const split = options.split ?? 'train';
  if (!/^[A-Za-z0-9_-]+$/.test(split))
    throw rangeError(action, 'the split name must be letters, digits, _ or -', split);
  const classes = await subFolders(dir);
  if (classes.length === 0) throw rangeError(action, 'it must hold one sub-folder per class', dir);
  const images: { path: string; label: number; ext: string }[] = [];
  const ignored: string[] = [];
  for (const [label, name] of classes.entries()) {
    for (const rel of await walkFiles(join(dir, name))) {
      const path = `${name}/${rel}`;
      const ext = posix.extname(rel).slice(1).toLowerCase();
      if (extensions.has(ext)) images.push({ path, label, ext });
      else ignored.push(path);
    }
  }
  if (images.length === 0)
    throw rangeError(action, `its class folders must hold images (${[...extensions].join(', ')})`, 0);
  if (options.seed !== undefined) Random.derive(options.seed, 'convert-folder').shuffle(images);
  const chosen = images.slice(0, options.limit ?? images.length);

  const part = checkPart(action, options.part);
  const sampleOf = (i: number, img: (typeof chosen)[number], bytes: Uint8Array): WritableSample => ({
    __key__: String(i).padStart(6, '0'),
    [img.ext]: bytes,
    cls: img.label,
    json: { label: img.label, class: classes[img.label], path: img.path },
  });
  const file = (img: (typeof chosen)[number]) => join(dir, ...img.path.split('/'));

  async function* samples(): AsyncGenerator<WritableSample | DeferredSample> {
    for (const [i, img] of chosen.entries()) {
      if (part.count === 1) yield sampleOf(i, img, await readFile(file(img)));
      else {
        // a part of an array job sizes every image from its file and reads only its own shards' images
        const size = sampleSize(sampleOf(i, img, new Uint8Array(0))) + (await stat(file(img))).size;
        yield new DeferredSample(String(i).padStart(6, '0'), size, async () =>
          sampleOf(i, img, await readFile(file(img))),
        );
      }
    }
  }

  const result = await writeSplit(split, samples(), options);
  return { splits: [result], classes, ignored };
}
