import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, posix } from 'node:path';
import { rangeError } from '../errors.js';
import { VIDEO_EXTENSIONS } from '../video/video-clip.js';
import type { DatasetAdapter, DatasetItem, DatasetListing } from './dataset-adapter.js';
import { DatasetError } from './dataset-error.js';
import { parseCsvLine } from './parse-csv-line.js';
import { WRITE_DATASET_KEYS, writeDataset, type DatasetResult, type WriteDatasetOptions } from './write-dataset.js';
import { byCodePoint } from './folder-tree.js';
import { checkOptionKeys, optionKeys, pickOptions } from '../option-keys.js';

const KINETICS_ADAPTER_KEYS = optionKeys<KineticsOptions>({ csv: true, videos: true, split: true });
/** The Kinetics converter passes its options on to the adapter and to `writeDataset`: their keys. */
const CONVERT_KINETICS_KEYS = [...KINETICS_ADAPTER_KEYS, ...WRITE_DATASET_KEYS];

/** Options of {@link kineticsAdapter}. */
export interface KineticsOptions {
  /**
   * The official annotation CSV(s), header `label,youtube_id,time_start,time_end,split` (any column
   * order; `is_cc` and other columns kept in the json; `label` may be absent in a test CSV). Several
   * CSVs (train, validate, test) share one class list.
   */
  readonly csv: string | readonly string[];
  /**
   * Folder of the downloaded videos, `<youtube_id>_<time_start:06d>_<time_end:06d>.mp4` (or another
   * video extension), directly or in any sub-folders (per label, per split).
   */
  readonly videos: string;
  /** Split name of the rows of a CSV without a `split` column. @default the CSV's file name without extension */
  readonly split?: string;
}

/** The expected file stem of a Kinetics clip: `<youtube_id>_<start:06d>_<end:06d>`. */
export function kineticsClipName(youtubeId: string, start: number, end: number): string {
  return `${youtubeId}_${String(start).padStart(6, '0')}_${String(end).padStart(6, '0')}`;
}

/** Video files under a folder by stem: stem -> relative POSIX paths (sorted). Hidden entries skipped. */
async function videoIndex(dir: string): Promise<Map<string, string[]>> {
  const index = new Map<string, string[]>();
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = (await readdir(abs, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
    entries.sort((a, b) => byCodePoint(a.name, b.name));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(abs, e.name), r);
      else if (e.isFile() && VIDEO_EXTENSIONS.includes(extname(e.name).slice(1).toLowerCase())) {
        const stem = posix.basename(e.name, posix.extname(e.name));
        const paths = index.get(stem);
        if (paths === undefined) index.set(stem, [r]);
        else paths.push(r);
      }
    }
  };
  await walk(dir, '');
  return index;
}

interface Row {
  readonly file: string;
  readonly line: number;
  readonly label: string | undefined;
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly split: string;
  readonly extra: Record<string, string>;
}

async function readCsv(file: string, defaultSplit: string | undefined): Promise<Row[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DatasetError(file, undefined, `the Kinetics CSV must be readable (${(err as Error).message})`, file, {
      cause: err,
    });
  }
  const all = text.replace(/^\uFEFF/, '').split('\n');
  const parse = (i: number): string[] => {
    try {
      return parseCsvLine(all[i]!);
    } catch (err) {
      throw new DatasetError(file, i + 1, 'it must be a CSV line', all[i], { cause: err });
    }
  };
  const header = parse(0).map((h) => h.trim());
  for (const column of ['youtube_id', 'time_start', 'time_end']) {
    if (!header.includes(column))
      throw new DatasetError(
        file,
        1,
        `the header must name the column ${column} (label,youtube_id,time_start,time_end,split)`,
        all[0],
      );
  }
  const col = (name: string): number => header.indexOf(name);
  const split = defaultSplit ?? basename(file, extname(file));
  const rows: Row[] = [];
  for (let i = 1; i < all.length; i++) {
    if (all[i]!.trim() === '') continue;
    const f = parse(i);
    if (f.length !== header.length)
      throw new DatasetError(file, i + 1, `a row must have ${header.length} fields like the header`, all[i]);
    const time = (name: string): number => {
      const v = f[col(name)]!.trim();
      if (!/^\d+(\.0*)?$/.test(v))
        throw new DatasetError(file, i + 1, `${name} must be a whole number of seconds >= 0`, v);
      return Number(v);
    };
    const start = time('time_start');
    const end = time('time_end');
    if (end <= start) throw new DatasetError(file, i + 1, `time_end must be after time_start (${start})`, end);
    const id = f[col('youtube_id')]!.trim();
    if (!/^[A-Za-z0-9_-]+$/.test(id))
      throw new DatasetError(file, i + 1, 'youtube_id must be letters, digits, _ or -', id);
    const label = col('label') < 0 ? undefined : f[col('label')]!.trim() || undefined;
    const rowSplit = col('split') < 0 ? split : f[col('split')]!.trim();
    if (!/^[A-Za-z0-9_-]+$/.test(rowSplit))
      throw new DatasetError(file, i + 1, 'split must be letters, digits, _ or -', rowSplit);
    const extra: Record<string, string> = {};
    for (const [c, name] of header.entries())
      if (!['label', 'youtube_id', 'time_start', 'time_end', 'split'].includes(name)) extra[name] = f[c]!;
    rows.push({ file, line: i + 1, label, id, start, end, split: rowSplit, extra });
  }
  return rows;
}

/**
 * Kinetics (400/600/700) as a {@link DatasetAdapter}: rows of the official CSV(s), classes = the
 * labels of all CSVs sorted by code point, splits from the `split` column in order of first
 * appearance, items in row order, keys `<youtube_id>_<start:06d>_<end:06d>`, the json adds
 * `youtube_id`, `time_start`, `time_end` and any other column (`is_cc`). The video of a row is found
 * by its file stem anywhere under `videos`; when several files share a stem, the one in a folder
 * named like the row's label or split wins, else the first by path.
 *
 * Missing videos are common (YouTube take-downs): they are counted in the result's `missing`, not
 * fatal (`onMissing: 'skip'`). A malformed CSV is an error naming the file and line
 * ({@link DatasetError}): a row with the wrong number of fields, a bad or reversed time, a bad id.
 */
export function kineticsAdapter(options: KineticsOptions): DatasetAdapter {
  checkOptionKeys('kineticsAdapter', options, KINETICS_ADAPTER_KEYS);
  const csvs = typeof options.csv === 'string' ? [options.csv] : [...options.csv];
  if (csvs.length === 0) throw rangeError('read Kinetics', 'at least one CSV must be given', csvs);
  if (options.split !== undefined && !/^[A-Za-z0-9_-]+$/.test(options.split))
    throw rangeError('read Kinetics', 'the split name must be letters, digits, _ or -', options.split);
  return {
    name: 'kinetics',
    root: options.videos,
    onMissing: 'skip',
    async list(): Promise<DatasetListing> {
      const rows = (await Promise.all(csvs.map((f) => readCsv(f, options.split)))).flat();
      const classes = [...new Set(rows.flatMap((r) => (r.label === undefined ? [] : [r.label])))].sort(byCodePoint);
      const label = new Map(classes.map((c, i) => [c, i]));
      const videos = await videoIndex(options.videos);
      const splits = new Map<string, DatasetItem[]>();
      for (const r of rows) {
        const key = kineticsClipName(r.id, r.start, r.end);
        const found = videos.get(key) ?? [];
        const inFolder = (p: string): boolean =>
          p
            .split('/')
            .slice(0, -1)
            .some((d) => d === r.label || d === r.split || d.replace(/_/g, ' ') === r.label);
        const path = found.find(inFolder) ?? found[0] ?? `${key}.mp4`;
        const item: DatasetItem = {
          key,
          path,
          label: r.label === undefined ? undefined : label.get(r.label),
          meta: { youtube_id: r.id, time_start: r.start, time_end: r.end, ...r.extra },
          origin: `${r.file} line ${r.line}`,
        };
        const list = splits.get(r.split);
        if (list === undefined) splits.set(r.split, [item]);
        else list.push(item);
      }
      return { classes, splits: [...splits].map(([name, items]) => ({ name, items })) };
    },
  };
}

/**
 * Writes Kinetics to `<out>/<split>-%06d.tar` per split of the CSV(s): the video bytes under their
 * extension (`mp4`), `cls`, `json`. Rows whose video is absent are left out and listed in
 * `missing`. See {@link kineticsAdapter} and {@link writeDataset}.
 *
 * @example await convertKinetics({ csv: ['k400/train.csv', 'k400/validate.csv'], videos: 'k400/videos', out: 'shards/k400', seed: 1 })
 */
export function convertKinetics(options: KineticsOptions & WriteDatasetOptions): Promise<DatasetResult> {
  checkOptionKeys('convertKinetics', options, CONVERT_KINETICS_KEYS);
  return writeDataset(
    kineticsAdapter(pickOptions(options, KINETICS_ADAPTER_KEYS)),
    pickOptions(options, WRITE_DATASET_KEYS),
  );
}
