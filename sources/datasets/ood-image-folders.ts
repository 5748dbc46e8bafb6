import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import sharp from 'sharp';
import { checkInteger, rangeError } from '../errors.js';
import type { WritableSample } from '../shard-writer.js';
import { CONVERT_OPTION_FLAGS, type ConvertOptions, type ConvertResult } from './convert-options.js';
import { encodePng } from './encode-png.js';
import { byCodePoint, subFolders, walkFiles } from './folder-tree.js';
import { writeSplit } from './write-split.js';
import { checkOptionKeys, optionKeys } from '../option-keys.js';

/**
 * The photo sets of the paper's OOD protocol that come as folders of JPEGs (DTD, Places365,
 * TinyImageNet), brought to the 32 px shards that `ndaflow evaluate ood --ood NAME=SHARDS` reads.
 *
 * The official evaluation (`train_fns.py`, `GAN_auroc_function`) loads these sets as ready-made
 * 32x32 `.npy` arrays (`textures_new.npy`, `places.npy`, `timagenet.npy`, the last 10,000 rows); the
 * code that made them is not published. The usual way, that of the OOD benchmarks the paper follows
 * (Hendrycks et al.'s outlier exposure: `ImageFolder(..., Compose([Resize(32), CenterCrop(32)]))`), is
 * what these converters do: `Resize(32)` (the shorter side to 32 px, the longer to
 * `int(32 * long / short)`, bilinear with PIL's antialiasing, here libvips' linear kernel, which
 * likewise widens the filter when it shrinks) then `CenterCrop(32)` (top `round((h - 32) / 2)`,
 * rounding halves to even as Python does), images read as RGB (greyscale ones replicated, alpha
 * dropped, EXIF orientation ignored, as PIL's `convert('RGB')`).
 */

/** The side of the images every converter of this module writes. */
export const OOD_IMAGE_SIZE = 32;

const OOD_FOLDER_KEYS = optionKeys<OodFolderOptions>({
  ...CONVERT_OPTION_FLAGS,
  split: true,
  limit: true,
});

/** Options of the OOD folder converters. */
export interface OodFolderOptions extends ConvertOptions {
  /** The split name (shard file prefix). @default per converter: `all` (DTD), `val` (Places365), the split (TinyImageNet) */
  readonly split?: string;
  /** Only the first N images (in the converter's order). @default all */
  readonly limit?: number;
}

/** What an OOD folder converter wrote, and the classes it labelled the images with (empty: unlabelled). */
export interface OodFolderResult extends ConvertResult {
  /** Class names by `cls` index; empty when the images carry no label. */
  readonly classes: readonly string[];
}

/** One image to convert: its file, its path as recorded, and its class index when known. */
interface Listed {
  readonly file: string;
  readonly path: string;
  readonly label?: number;
}

const JPEG = /\.(jpe?g)$/i;

/**
 * Converts the Describable Textures Dataset (Cimpoi et al. 2014, `dtd-r1.0.1.tar.gz`: `dtd/images/<class>/*.jpg`,
 * 47 classes, 5,640 images) into 32 px shards `<out>/<split>-%06d.tar`: every image of every class
 * (the OOD protocol uses them all), classes sorted by name and files by name as torchvision's
 * `ImageFolder` orders them, each `Resize(32)` + `CenterCrop(32)` (see the module comment) to an RGB
 * `png`, its class index as `cls` and a `json` `{label, class, path, split, index}`, under the key
 * `<split>/000123`. `dir` is the DTD root (holding `images/`) or its `images/` folder. Deterministic.
 *
 * @example await convertDtd('dtd', { out: 'shards/dtd' })
 * @throws RangeError when the folder has no class folders of JPEGs; sharp's error, naming the file, for an image it cannot read.
 */
export async function convertDtd(dir: string, options: OodFolderOptions): Promise<OodFolderResult> {
  checkOptionKeys('convertDtd', options, OOD_FOLDER_KEYS);
  const action = `convert DTD ${dir}`;
  const root = (await isFolder(join(dir, 'images'))) ? join(dir, 'images') : dir;
  const classes = await subFolders(root);
  const listed: Listed[] = [];
  for (const [label, name] of classes.entries())
    for (const rel of await walkFiles(join(root, name)))
      if (JPEG.test(rel)) listed.push({ file: join(root, name, ...rel.split('/')), path: `${name}/${rel}`, label });
  if (listed.length === 0) throw rangeError(action, 'it must hold images/<class>/*.jpg', root);
  return convertListed(action, listed, classes, options.split ?? 'all', options);
}

/** Options of {@link convertPlaces365}. */
export interface Places365Options extends OodFolderOptions {
  /**
   * The list of the images and their labels, `<file name> <label>` per line (`places365_val.txt` of
   * `filelist_places365-standard.tar`): its order is the shards' order, its labels the `cls`.
   * @default `places365_val.txt` in `dir` or in its parent when there is one; else none (the images
   *   sorted by name, unlabelled)
   */
  readonly list?: string;
}

const PLACES365_KEYS = optionKeys<Places365Options>({
  ...CONVERT_OPTION_FLAGS,
  split: true,
  limit: true,
  list: true,
});

/**
 * Converts the Places365 validation images (Zhou et al. 2017: `val_256/Places365_val_00000001.jpg`, ...,
 * 36,500 images; `val_large/` for the high-resolution ones) into 32 px shards `<out>/<split>-%06d.tar`
 * (`Resize(32)` + `CenterCrop(32)`, see the module comment): an RGB `png` per image, its label as `cls`
 * when the list gives one, and a `json` `{label, class, path, split, index}`, under the key
 * `<split>/000123`. `dir` is the Places365 root (holding `val_256/` or `val_large/`, and
 * `places365_val.txt`) or the image folder itself. Class names come from `categories_places365.txt`
 * (`/a/airfield 0`) beside the list when it is there. Deterministic.
 *
 * @example await convertPlaces365('places365', { out: 'shards/places365', limit: 10000 })
 * @throws RangeError when there are no images, the list is malformed or names an image that is not there.
 */
export async function convertPlaces365(dir: string, options: Places365Options): Promise<OodFolderResult> {
  checkOptionKeys('convertPlaces365', options, PLACES365_KEYS);
  const action = `convert Places365 ${dir}`;
  let images = dir;
  for (const sub of ['val_256', 'val_large'])
    if (await isFolder(join(dir, sub))) {
      images = join(dir, sub);
      break;
    }
  const list =
    options.list ?? (await firstFile([join(dir, 'places365_val.txt'), join(dirname(dir), 'places365_val.txt')]));
  if (list === undefined) {
    const listed = await jpegsIn(action, images, 'it must hold the validation JPEGs (or val_256/)', (n) => n);
    return convertListed(action, listed, [], options.split ?? 'val', options);
  }
  const listed: Listed[] = [];
  for (const [i, line] of (await readFile(list, 'utf8')).split('\n').entries()) {
    if (line.trim() === '') continue;
    const m = /^\s*(\S+)\s+(\d+)\s*$/.exec(line);
    if (m === null) throw rangeError(action, `line ${i + 1} of ${list} must be "<image> <label>"`, line);
    const name = m[1]!.replace(/^\//, '');
    listed.push({ file: join(images, ...name.split('/')), path: name, label: Number(m[2]) });
  }
  if (listed.length === 0) throw rangeError(action, `${list} must list the images`, 0);
  const missing = [];
  for (const l of listed) if (!(await isFile(l.file))) missing.push(l.path);
  if (missing.length > 0)
    throw rangeError(
      action,
      `every image ${basename(list)} lists must be in ${images}`,
      `${missing.length} missing, e.g. ${missing[0]}`,
    );
  const categories = join(dirname(list), 'categories_places365.txt');
  const classes = (await isFile(categories)) ? await readCategories(action, categories) : [];
  return convertListed(action, listed, classes, options.split ?? 'val', options);
}

/** Options of {@link convertTinyImagenet}. */
export interface TinyImagenetOptions extends OodFolderOptions {
  /** Which images: `val` (labelled by `val/val_annotations.txt`) or `test` (unlabelled). @default 'val' */
  readonly which?: 'val' | 'test';
}

const TINY_IMAGENET_KEYS = optionKeys<TinyImagenetOptions>({
  ...CONVERT_OPTION_FLAGS,
  split: true,
  limit: true,
  which: true,
});

/**
 * Converts TinyImageNet (`tiny-imagenet-200/`: 64 px JPEGs, `val/images/val_0.JPEG` labelled by
 * `val/val_annotations.txt`, `test/images/test_0.JPEG` unlabelled, 10,000 each) into 32 px shards
 * `<out>/<split>-%06d.tar` (`Resize(32)` + `CenterCrop(32)`, i.e. 64 -> 32 bilinear; see the module
 * comment): an RGB `png` per image, for `val` its class as `cls` (the index of its WordNet id among
 * `wnids.txt` sorted, as `ImageFolder` over `train/` numbers them) and a `json`
 * `{label, class, path, split, index}`, under the key `<split>/000123`. Order: the annotations' for
 * `val`, the file names' for `test`. `dir` is the `tiny-imagenet-200` root. Deterministic.
 *
 * @example await convertTinyImagenet('tiny-imagenet-200', { out: 'shards/tinyimagenet', which: 'val' })
 * @throws RangeError for a missing folder or annotation file, a malformed annotation line, or a WordNet id not in `wnids.txt`.
 */
export async function convertTinyImagenet(dir: string, options: TinyImagenetOptions): Promise<OodFolderResult> {
  checkOptionKeys('convertTinyImagenet', options, TINY_IMAGENET_KEYS);
  const action = `convert TinyImageNet ${dir}`;
  const which = options.which ?? 'val';
  if (which !== 'val' && which !== 'test') throw rangeError(action, 'which must be val or test', which);
  const images = join(dir, which, 'images');
  if (!(await isFolder(images))) throw rangeError(action, `it must hold ${which}/images/`, dir);
  if (which === 'test') {
    const listed = await jpegsIn(action, images, 'test/images/ must hold JPEGs', (n) => `test/images/${n}`);
    return convertListed(action, listed, [], options.split ?? 'test', options);
  }
  const wnidsFile = join(dir, 'wnids.txt');
  const annotations = join(dir, 'val', 'val_annotations.txt');
  for (const f of [wnidsFile, annotations]) if (!(await isFile(f))) throw rangeError(action, `it must hold ${f}`, dir);
  const classes = (await readFile(wnidsFile, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .sort(byCodePoint);
  const index = new Map(classes.map((c, i) => [c, i]));
  const listed: Listed[] = [];
  for (const [i, line] of (await readFile(annotations, 'utf8')).split('\n').entries()) {
    if (line.trim() === '') continue;
    const [name, wnid] = line.split('\t');
    const label = wnid === undefined ? undefined : index.get(wnid.trim());
    if (name === undefined || label === undefined)
      throw rangeError(action, `line ${i + 1} of ${annotations} must be "<image>\\t<wnid of wnids.txt>\\t..."`, line);
    listed.push({ file: join(images, name), path: `val/images/${name}`, label });
  }
  return convertListed(action, listed, classes, options.split ?? 'val', options);
}

/** Resizes, crops and writes the listed images in order (the first `limit`). */
async function convertListed(
  action: string,
  listed: readonly Listed[],
  classes: readonly string[],
  split: string,
  options: OodFolderOptions,
): Promise<OodFolderResult> {
  if (!/^[A-Za-z0-9_-]+$/.test(split))
    throw rangeError(action, 'the split name must be letters, digits, _ or -', split);
  const limit = options.limit === undefined ? listed.length : checkInteger(action, 'limit', options.limit, 0);
  async function* samples(): AsyncGenerator<WritableSample> {
    for (const [i, item] of listed.slice(0, limit).entries()) {
      const pixels = await resizeCentreCrop(item.file, OOD_IMAGE_SIZE);
      const labelled = item.label !== undefined;
      yield {
        __key__: `${split}/${String(i).padStart(6, '0')}`,
        png: encodePng(pixels, OOD_IMAGE_SIZE, OOD_IMAGE_SIZE, 3),
        ...(labelled ? { cls: item.label } : {}),
        json: {
          ...(labelled ? { label: item.label, class: classes[item.label] ?? null } : {}),
          path: posix.normalize(item.path),
          split,
          index: i,
        },
      };
    }
  }
  return { splits: [await writeSplit(split, samples(), options)], classes };
}

/**
 * torchvision's `Resize(size)` then `CenterCrop(size)` on an image file read as RGB: HWC bytes,
 * `size` x `size` x 3. An image whose shorter side is already `size` is only cropped.
 */
export async function resizeCentreCrop(file: string, size: number): Promise<Uint8Array> {
  let image = sharp(file, { failOn: 'error' });
  const meta = await image.metadata();
  const w0 = meta.width;
  const h0 = meta.height;
  if (w0 === undefined || h0 === undefined)
    throw rangeError(`read image ${file}`, 'it must have a width and height', meta.format);
  const short = Math.min(w0, h0);
  const long = Math.max(w0, h0);
  const resizedLong = Math.trunc((size * long) / short);
  const [w, h] = short === size ? [w0, h0] : w0 <= h0 ? [size, resizedLong] : [resizedLong, size];
  if (w !== w0 || h !== h0) image = image.resize(w, h, { kernel: 'linear', fit: 'fill', fastShrinkOnLoad: false });
  const top = roundHalfEven((h - size) / 2);
  const left = roundHalfEven((w - size) / 2);
  if (w !== size || h !== size) image = image.extract({ left, top, width: size, height: size });
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const out = new Uint8Array(size * size * 3);
  const c = info.channels;
  for (let p = 0; p < size * size; p++) {
    // greyscale (with or without alpha) is replicated; alpha is dropped
    const grey = c <= 2;
    out[p * 3] = data[p * c]!;
    out[p * 3 + 1] = data[p * c + (grey ? 0 : 1)]!;
    out[p * 3 + 2] = data[p * c + (grey ? 0 : 2)]!;
  }
  return out;
}

/** Python 3's `round` of a multiple of 1/2: halves go to the even neighbour (0.5 -> 0, 1.5 -> 2). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  if (x - f !== 0.5) return Math.round(x);
  return f % 2 === 0 ? f : f + 1;
}

/** `categories_places365.txt`: `/a/airfield 0` per line -> names by index. */
async function readCategories(action: string, file: string): Promise<string[]> {
  const names: string[] = [];
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const m = /^\s*(\S+)\s+(\d+)\s*$/.exec(line);
    if (m === null) {
      if (line.trim() !== '') throw rangeError(action, `${file} must hold "<category> <index>" lines`, line);
      continue;
    }
    names[Number(m[2])] = m[1]!;
  }
  return names;
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function firstFile(paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) if (await isFile(p)) return p;
  return undefined;
}

/** The JPEGs of one folder, unlabelled, by name (code point order); a RangeError (`constraint`) when there are none. */
async function jpegsIn(
  action: string,
  folder: string,
  constraint: string,
  pathOf: (name: string) => string,
): Promise<Listed[]> {
  const names = (await readdir(folder)).filter((n) => JPEG.test(n)).sort(byCodePoint);
  if (names.length === 0) throw rangeError(action, constraint, folder);
  return names.map((n) => ({ file: join(folder, n), path: pathOf(n) }));
}
