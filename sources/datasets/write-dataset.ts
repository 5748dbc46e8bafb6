import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, sep } from 'node:path';
import { checkInteger, rangeError } from '../errors.js';
import { Random } from '../random.js';
import type { WritableSample } from '../shard-writer.js';
import { CONVERT_OPTION_FLAGS, type ConvertOptions, type ConvertResult, type SplitResult } from './convert-options.js';
import type { DatasetAdapter, DatasetItem } from './dataset-adapter.js';
import { DatasetError } from './dataset-error.js';
import { DeferredSample, checkPart, sampleSize, writeSplit } from './write-split.js';
import { checkOptionKeys, optionKeys } from '../option-keys.js';

/** The keys of {@link WriteDatasetOptions}, for converters that pass their own options on. */
export const WRITE_DATASET_KEYS = optionKeys<WriteDatasetOptions>({
  ...CONVERT_OPTION_FLAGS,
  splits: true,
  limit: true,
  limits: true,
  seed: true,
  readAhead: true,
});

/** Options of {@link writeDataset}. */
export interface WriteDatasetOptions extends ConvertOptions {
  /** The splits to write (names from the listing); an unknown name is a RangeError. @default all */
  readonly splits?: readonly string[];
  /** Write only the first N items of each split (after shuffling, missing files left out). @default all */
  readonly limit?: number;
  /** Per-split limits over `limit` (`{ train: 1000 }`). @default none */
  readonly limits?: Readonly<Record<string, number | undefined>>;
  /**
   * Shuffle each split with this seed (deterministic, from (seed, dataset, split)), so that every
   * shard mixes the classes; without it the adapter's order is kept. @default no shuffle
   */
  readonly seed?: number;
  /** Files read ahead of the writer. @default 4 */
  readonly readAhead?: number;
}

/** A listed item whose file does not exist (adapters with `onMissing: 'skip'`). */
export interface MissingItem {
  readonly split: string;
  /** The path as listed, relative to the adapter's root. */
  readonly path: string;
  /** Where it is listed (`kinetics400/train.csv line 7`). */
  readonly origin: string;
}

/** What {@link writeDataset} wrote: the splits, the classes, and what it left out. */
export interface DatasetResult extends ConvertResult {
  /** Class names by class index. */
  readonly classes: readonly string[];
  /** Listed items whose file is missing, in listing order (written splits only). */
  readonly missing: readonly MissingItem[];
  /** Files the adapter left out (see {@link DatasetListing.ignored}). */
  readonly ignored: readonly string[];
}

const SPLIT_NAME = /^[A-Za-z0-9_-]+$/;
const STAT_CONCURRENCY = 16;

/** Calls `fn` on every item with at most `concurrency` calls pending; results in order. */
async function mapBounded<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** The size of a regular file, or -1 when there is none. */
async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : -1;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return -1;
    throw err;
  }
}

/**
 * Writes every split of a dataset adapter to `<out>/<split>-%06d.tar` (see `writeSplit`): per
 * item one sample with its bytes under its extension, `cls` (the class index as text, labelled items
 * only) and `json` = `{"label", "class", "split", "path", ...item.meta}` (`label`/`class` null when
 * unlabelled, `path` relative to the adapter's root, null for bytes). The order is the adapter's, or
 * shuffled by `seed`; the same inputs give the same shard bytes.
 *
 * Before anything is written the whole listing is checked: split names, keys (no dots, unique in a
 * split), labels in range, and every listed file exists. A missing file fails with a
 * {@link DatasetError} naming the line that lists it, unless the adapter says `onMissing: 'skip'`:
 * then it is left out and reported in `missing`. Files are copied as they are, never decoded.
 *
 * @example await writeDataset(ucf101Adapter({ root: '/data/UCF-101' }), { out: 'shards/ucf101', seed: 1 })
 * @throws RangeError for a bad option, DatasetError for a dataset whose index and files disagree.
 */
export async function writeDataset(adapter: DatasetAdapter, options: WriteDatasetOptions): Promise<DatasetResult> {
  checkOptionKeys('writeDataset', options, WRITE_DATASET_KEYS);
  const action = `write dataset ${adapter.name}`;
  if (options.limit !== undefined) checkInteger(action, 'limit', options.limit, 0);
  for (const [name, n] of Object.entries(options.limits ?? {}))
    if (n !== undefined) checkInteger(action, `limits.${name}`, n, 0);
  if (options.seed !== undefined) checkInteger(action, 'seed', options.seed, 0, 2 ** 32 - 1);
  const readAhead = checkInteger(action, 'readAhead', options.readAhead ?? 4, 1, 256);
  const part = checkPart(action, options.part);
  const listing = await adapter.list();
  const { classes } = listing;
  const names = listing.splits.map((s) => s.name);
  for (const name of names)
    if (!SPLIT_NAME.test(name)) throw rangeError(action, 'a split name must be letters, digits, _ or -', name);
  if (new Set(names).size !== names.length) throw rangeError(action, 'split names must be unique', names);
  for (const wanted of options.splits ?? [])
    if (!names.includes(wanted))
      throw rangeError(action, `the splits must be among ${names.join(', ') || '(none)'}`, wanted);
  const chosen = listing.splits.filter((s) => options.splits === undefined || options.splits.includes(s.name));

  const resolve = (p: string): string => (isAbsolute(p) ? p : join(adapter.root, ...p.split('/')));
  const relativePath = (p: string): string => (isAbsolute(p) ? relative(adapter.root, p).split(sep).join('/') : p);
  const missing: MissingItem[] = [];
  const plans: { name: string; items: DatasetItem[] }[] = [];
  /** File sizes by item (bytes items: their length), so that a part sizes the samples it does not read. */
  const sizes = new Map<DatasetItem, number>();
  for (const split of chosen) {
    const keys = new Map<string, string>();
    for (const item of split.items) {
      const origin = item.origin ?? item.path ?? `${adapter.name} ${split.name}`;
      if ((item.path === undefined) === (item.bytes === undefined))
        throw rangeError(`${action} (${origin})`, 'an item must have a path or bytes, not both', item.path ?? null);
      if (
        item.label !== undefined &&
        (!Number.isInteger(item.label) || item.label < 0 || item.label >= classes.length)
      ) {
        throw rangeError(
          `${action} (${origin})`,
          `a label must be a class index in [0, ${classes.length - 1}]`,
          item.label,
        );
      }
      if (item.key !== undefined) {
        if (item.key === '' || item.key.includes('.'))
          throw rangeError(`${action} (${origin})`, 'a key must be non-empty and hold no dot', item.key);
        const before = keys.get(item.key);
        if (before !== undefined)
          throw rangeError(
            `${action} (${origin})`,
            `keys must be unique in split ${split.name} (also at ${before})`,
            item.key,
          );
        keys.set(item.key, origin);
      }
      const ext = item.ext ?? (item.path === undefined ? '' : posix.extname(item.path).slice(1).toLowerCase());
      if (!/^[a-z0-9][a-z0-9_.-]*$/.test(ext))
        throw rangeError(`${action} (${origin})`, 'an item needs a field name (its extension)', ext);
    }
    const found = await mapBounded(split.items, STAT_CONCURRENCY, async (item) =>
      item.path === undefined ? (item.bytes as Uint8Array).byteLength : await fileSize(resolve(item.path)),
    );
    const items: DatasetItem[] = [];
    for (const [i, item] of split.items.entries()) {
      const path = item.path;
      const size = found[i] ?? -1;
      if (size >= 0 || path === undefined) {
        // found (an item without a path is bytes, always found)
        items.push(item);
        sizes.set(item, size);
        continue;
      }
      const origin = item.origin ?? path;
      if (adapter.onMissing !== 'skip')
        throw new DatasetError(origin, undefined, 'the video or file it lists must exist', resolve(path));
      missing.push({ split: split.name, path: relativePath(path), origin });
    }
    if (options.seed !== undefined)
      Random.derive(options.seed, 'write-dataset', adapter.name, split.name).shuffle(items);
    const limit = options.limits?.[split.name] ?? options.limit;
    plans.push({ name: split.name, items: items.slice(0, limit ?? items.length) });
  }

  /** The sample of an item, with its bytes. */
  const sampleOf = (split: string, item: DatasetItem, i: number, bytes: Uint8Array): WritableSample => {
    const ext =
      item.ext ??
      posix
        .extname(item.path as string)
        .slice(1)
        .toLowerCase();
    const sample: Record<string, unknown> = { __key__: item.key ?? String(i).padStart(6, '0'), [ext]: bytes };
    if (item.label !== undefined) sample.cls = item.label;
    sample.json = {
      label: item.label ?? null,
      class: item.label === undefined ? null : classes[item.label],
      split,
      path: item.path === undefined ? null : relativePath(item.path),
      ...item.meta,
    };
    return sample as WritableSample;
  };

  /** A part of an array job reads only its own shards' files: every sample is sized from its file's size. */
  function* deferred(split: string, items: readonly DatasetItem[]): Generator<DeferredSample> {
    for (const [i, item] of items.entries()) {
      const size = sizes.get(item) ?? 0;
      const shell = sampleOf(split, item, i, new Uint8Array(0));
      yield new DeferredSample(shell.__key__, sampleSize(shell) + size, async () =>
        sampleOf(split, item, i, await read(item)),
      );
    }
  }

  const read = (item: DatasetItem): Promise<Uint8Array> => {
    if (item.bytes !== undefined) return Promise.resolve(item.bytes);
    const path = resolve(item.path as string);
    return readFile(path).catch((err: unknown) => {
      throw new DatasetError(
        path,
        undefined,
        `the file must be readable (${(err as Error).message})`,
        item.origin ?? item.path,
        { cause: err },
      );
    });
  };

  async function* samples(split: string, items: readonly DatasetItem[]): AsyncGenerator<WritableSample> {
    const pending: Promise<Uint8Array>[] = [];
    const ahead = (i: number): void => {
      if (i < items.length) {
        const p = read(items[i]!);
        p.catch(() => undefined); // awaited below; no unhandled rejection if the writer fails first
        pending.push(p);
      }
    };
    for (let i = 0; i < Math.min(readAhead, items.length); i++) ahead(i);
    for (const [i, item] of items.entries()) {
      const bytes = await pending.shift()!;
      ahead(i + readAhead);
      yield sampleOf(split, item, i, bytes);
    }
  }

  const splits: SplitResult[] = [];
  let written = 0;
  for (const plan of plans) {
    const list = part.count > 1 ? deferred(plan.name, plan.items) : samples(plan.name, plan.items);
    const result = await writeSplit(plan.name, list, options, written);
    written += result.samples;
    splits.push(result);
  }
  return { splits, classes, missing, ignored: listing.ignored ?? [] };
}
