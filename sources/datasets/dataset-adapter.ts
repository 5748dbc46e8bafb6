/**
 * The one-file way to plug a dataset into ndaflow: an adapter lists the dataset's items per split,
 * with their labels and metadata, and {@link writeDataset} (`write-dataset.ts`) turns any adapter into
 * WebDataset shards. UCF101 (`ucf101.ts`), Kinetics (`kinetics.ts`) and class-folder trees
 * (`video-folder.ts`) are written through it; a new video or image dataset needs one file that
 * exports a function returning a {@link DatasetAdapter}.
 *
 * Each item becomes one sample: its bytes under its extension (`avi`, `mp4`, `png`, ...), `cls` (the
 * class index as text, when labelled) and `json` (`{"label", "class", "split", "path", ...meta}`).
 *
 * @example
 * // clips.txt lines: "<relative path> <class name>"
 * export function myClipsAdapter(root: string): DatasetAdapter {
 *   return {
 *     name: 'my-clips',
 *     root,
 *     async list() {
 *       const rows = (await readFile(join(root, 'clips.txt'), 'utf8')).split('\n').filter(Boolean).map((l) => l.split(' '));
 *       const classes = [...new Set(rows.map(([, c]) => c!))].sort();
 *       const items = rows.map(([path, c], i) => ({ path: path!, label: classes.indexOf(c!), origin: `clips.txt line ${i + 1}` }));
 *       return { classes, splits: [{ name: 'train', items }] };
 *     },
 *   };
 * }
 * await writeDataset(myClipsAdapter('/data/clips'), { out: 'shards/my-clips' });
 */

/** One item of a split: one file (or bytes) written as one sample. */
export interface DatasetItem {
  /**
   * The sample key: unique within its split, non-empty, no dots (WebDataset splits the entry name at
   * the first dot). @default the item's position in the written split, `000123`
   */
  readonly key?: string;
  /** The file: relative to the adapter's `root` (with `/`) or absolute. Give `path` or `bytes`. */
  readonly path?: string;
  /** The bytes, for items that are not files of their own (members of an archive, generated data). */
  readonly bytes?: Uint8Array;
  /** The field the bytes are written under: a lower-case extension (`avi`, `mp4`, `png`). @default the extension of `path` */
  readonly ext?: string;
  /** The class index into the listing's `classes`; none for an unlabelled item (then no `cls`, and `label: null` in the json). */
  readonly label?: number;
  /** Dataset-specific JSON metadata, added to the sample's `json` after the standard fields. */
  readonly meta?: Readonly<Record<string, unknown>>;
  /** Where the item is declared, for error messages (`/data/ucfTrainTestlist/trainlist01.txt line 12`). @default the path */
  readonly origin?: string;
}

/** One split of a listing: its name (the shard prefix, `train-000000.tar`) and its items in order. */
export interface DatasetSplit {
  /** Letters, digits, `_` or `-`. */
  readonly name: string;
  readonly items: readonly DatasetItem[];
}

/** What an adapter's {@link DatasetAdapter.list} returns. */
export interface DatasetListing {
  /** Class names by class index. */
  readonly classes: readonly string[];
  /** The splits, in the order they are written. */
  readonly splits: readonly DatasetSplit[];
  /** Files the adapter saw and left out (not media of its kind), relative to the root. @default [] */
  readonly ignored?: readonly string[];
}

/** A dataset as a listing of items: see the module comment. */
export interface DatasetAdapter {
  /** Short name, used in messages (`ucf101`). */
  readonly name: string;
  /** Folder that relative item paths, and the `path` written in each json, are relative to. */
  readonly root: string;
  /**
   * A listed file that does not exist: `'error'` (the index and the files disagree, e.g. an
   * incomplete extraction: fail before writing anything, naming the file and the line that lists
   * it) or `'skip'` (count it in the result's `missing` and go on: datasets with take-downs, such as
   * Kinetics). @default 'error'
   */
  readonly onMissing?: 'error' | 'skip';
  /**
   * Reads the dataset's index (labels, splits, file names) and returns its items in a deterministic
   * order. Throws a {@link DatasetError} naming the file and line for a malformed index.
   */
  list(): Promise<DatasetListing>;
}
