import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import assert from 'node:assert/strict';
import type { DatasetResult } from '../../sources/datasets/write-dataset.js';
import { readShard } from '../cli/cli-helper.js';
import { makeTestVideo } from './make-test-video.js';

/** Debian opencv-doc's real videos (package opencv-doc; absent on some machines). */
export const OPENCV_VIDEO_DIR = '/usr/share/doc/opencv-doc/examples/data';
/** The three good opencv-doc videos. */
export const OPENCV_VIDEOS: readonly string[] = ['Megamind.avi', 'tree.avi', 'vtest.avi'].map((f) =>
  join(OPENCV_VIDEO_DIR, f),
);
/** `false` when the opencv-doc videos are present, else the reason to skip (for `it(..., { skip })`). */
export const SKIP_WITHOUT_OPENCV: string | false = OPENCV_VIDEOS.every((f) => existsSync(f))
  ? false
  : `${OPENCV_VIDEO_DIR} missing (apt-get install opencv-doc)`;

/** Files of a built tree: relative POSIX path -> bytes. */
export type TreeFiles = Record<string, Buffer>;

function put(root: string, rel: string, data: Buffer | string): Buffer {
  const path = join(root, ...rel.split('/'));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return readFileSync(path);
}

/** Writes a small distinct synthetic video (frames vary with `n`) at root/rel and returns its bytes. */
function video(root: string, rel: string, n: number): Buffer {
  const path = join(root, ...rel.split('/'));
  mkdirSync(dirname(path), { recursive: true });
  makeTestVideo(path, { frames: 4 + n, width: 32, height: 24, fps: 10 });
  return readFileSync(path);
}

/** What {@link makeUcf101Tree} built. */
export interface Ucf101Tree {
  /** The video root (`.../UCF-101`). */
  readonly root: string;
  /** Where classInd.txt and the lists are. */
  readonly annotations: string;
  readonly classes: readonly string[];
  /** Videos by path relative to root (`ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi`). */
  readonly videos: TreeFiles;
  /** Per fold (1-3): the train and test lists' paths, in file order. */
  readonly folds: Readonly<Record<number, { readonly train: readonly string[]; readonly test: readonly string[] }>>;
}

/** UCF101's class names for the small trees; HandstandPushups keeps the official file-name quirk (`v_HandStandPushups_...`). */
export const UCF101_TEST_CLASSES: readonly string[] = ['ApplyEyeMakeup', 'Basketball', 'HandstandPushups'];

/**
 * A UCF101 tree in the official layout: `<dir>/UCF-101/<Class>/v_<Class>_gGG_cCC.avi`, and
 * `classInd.txt`, `trainlist0{1,2,3}.txt`, `testlist0{1,2,3}.txt` with CRLF line ends, in
 * `<dir>/UCF-101/ucfTrainTestlist` (`'inside'`), `<dir>/UCF-101` (`'root'`) or
 * `<dir>/ucfTrainTestlist` (`'sibling'`, as the two official archives extract). Fold k tests the
 * groups of official testlist0k (g01-07, g08-14, g15-21); the others train. Videos: tiny distinct
 * synthetic ones, or copies of `sources` (cycled by class).
 */
export function makeUcf101Tree(
  dir: string,
  options: {
    groups?: readonly number[];
    annotations?: 'inside' | 'root' | 'sibling';
    sources?: readonly string[];
  } = {},
): Ucf101Tree {
  const { groups = [1, 8, 15], annotations = 'inside', sources } = options;
  const root = join(dir, 'UCF-101');
  const ann =
    annotations === 'inside'
      ? join(root, 'ucfTrainTestlist')
      : annotations === 'root'
        ? root
        : join(dir, 'ucfTrainTestlist');
  const classes = UCF101_TEST_CLASSES;
  const videos: TreeFiles = {};
  const paths: { path: string; label: number; group: number }[] = [];
  let n = 0;
  for (const [label, cls] of classes.entries()) {
    const fileClass = cls === 'HandstandPushups' ? 'HandStandPushups' : cls;
    for (const g of groups) {
      const path = `${cls}/v_${fileClass}_g${String(g).padStart(2, '0')}_c01.avi`;
      if (sources) {
        const target = join(root, ...path.split('/'));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(sources[label % sources.length]!, target);
        videos[path] = readFileSync(target);
      } else {
        videos[path] = video(root, path, n++);
      }
      paths.push({ path, label, group: g });
    }
  }
  mkdirSync(ann, { recursive: true });
  writeFileSync(join(ann, 'classInd.txt'), classes.map((c, i) => `${i + 1} ${c}\r\n`).join(''));
  const folds: Record<number, { train: string[]; test: string[] }> = {};
  for (const k of [1, 2, 3]) {
    const isTest = (g: number): boolean => g >= 7 * (k - 1) + 1 && g <= 7 * k;
    const train = paths.filter((p) => !isTest(p.group));
    const test = paths.filter((p) => isTest(p.group));
    writeFileSync(join(ann, `trainlist0${k}.txt`), train.map((p) => `${p.path} ${p.label + 1}\r\n`).join(''));
    writeFileSync(join(ann, `testlist0${k}.txt`), test.map((p) => `${p.path}\r\n`).join(''));
    folds[k] = { train: train.map((p) => p.path), test: test.map((p) => p.path) };
  }
  return { root, annotations: ann, classes, videos, folds };
}

/** One CSV row of {@link makeKineticsTree}, and where its video is (undefined: missing). */
export interface KineticsRow {
  readonly label: string;
  readonly id: string;
  readonly start: number;
  readonly end: number;
  readonly split: string;
  readonly file: string | undefined;
}

/** What {@link makeKineticsTree} built. */
export interface KineticsTree {
  readonly csv: string;
  readonly videos: string;
  readonly rows: readonly KineticsRow[];
  /** Video bytes by path relative to `videos`. */
  readonly files: TreeFiles;
}

/**
 * A Kinetics tree: `<dir>/kinetics.csv` with the official header (`label,youtube_id,time_start,
 * time_end,split`, plus `is_cc` when asked), a label with a comma (quoted), ids with `-` and `_`, and
 * videos `<id>_<start:06d>_<end:06d>.mp4` under `<dir>/videos/` in a per-split-per-label folder
 * (`train/<label>/`), a per-split folder (`val/`) and flat; one row's video is missing.
 */
export function makeKineticsTree(
  dir: string,
  options: { isCc?: boolean; sources?: readonly string[] } = {},
): KineticsTree {
  const videos = join(dir, 'videos');
  const name = (id: string, s: number, e: number): string =>
    `${id}_${String(s).padStart(6, '0')}_${String(e).padStart(6, '0')}`;
  const spec: [string, string, number, number, string, 'label' | 'split' | 'flat' | 'missing'][] = [
    ['passing American football (in game)', '-aB3_x9Zq0w', 14, 24, 'train', 'label'],
    ['abseiling', '0347ZoDXyP0', 5, 15, 'train', 'label'],
    ['abseiling', 'gOnE_taken0', 0, 10, 'train', 'missing'],
    ['zumba', 'Zz9-yy8_xx7', 120, 130, 'train', 'flat'],
    ['passing American football (in game)', 'vAl1dAt10n_', 30, 40, 'val', 'split'],
    ['abseiling', 'aNother-one', 1, 11, 'val', 'split'],
  ];
  const files: TreeFiles = {};
  const rows: KineticsRow[] = [];
  let n = 0;
  for (const [label, id, start, end, split, where] of spec) {
    const file =
      where === 'missing'
        ? undefined
        : where === 'label'
          ? `${split}/${label}/${name(id, start, end)}.mp4`
          : where === 'split'
            ? `${split}/${name(id, start, end)}.mp4`
            : `${name(id, start, end)}.mp4`;
    if (file !== undefined) {
      if (options.sources) {
        const target = join(videos, ...file.split('/'));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(options.sources[n++ % options.sources.length]!, target);
        files[file] = readFileSync(target);
      } else {
        const path = join(videos, ...file.split('/'));
        mkdirSync(dirname(path), { recursive: true });
        makeTestVideo(path, { frames: 4 + n++, width: 32, height: 24, fps: 10 });
        files[file] = readFileSync(path);
      }
    }
    rows.push({ label, id, start, end, split, file });
  }
  const quote = (s: string): string => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const header = `label,youtube_id,time_start,time_end,split${options.isCc ? ',is_cc' : ''}`;
  const lines = rows.map(
    (r, i) => `${quote(r.label)},${r.id},${r.start},${r.end},${r.split}${options.isCc ? `,${i % 2}` : ''}`,
  );
  const csv = join(dir, 'kinetics.csv');
  put(dir, 'kinetics.csv', `${[header, ...lines].join('\n')}\n`);
  return { csv, videos, rows, files };
}

/**
 * A video-folder tree: `cat/a.mp4`, `cat/sub/b.avi`, `dog/c.webm`, `dog/notes.txt` (not a video),
 * `.hidden/x.mp4` (skipped); with `splits`, the same under `train/` plus `test/dog/d.mkv` (test has
 * no cat). Returns the files by relative path.
 */
export function makeVideoFolderTree(dir: string, options: { splits?: boolean } = {}): TreeFiles {
  const files: TreeFiles = {};
  const p = options.splits ? 'train/' : '';
  let n = 0;
  for (const rel of [
    `${p}cat/a.mp4`,
    `${p}cat/sub/b.avi`,
    `${p}dog/c.webm`,
    ...(options.splits ? ['test/dog/d.mkv'] : []),
  ])
    files[rel] = video(dir, rel, n++);
  files[`${p}dog/notes.txt`] = put(dir, `${p}dog/notes.txt`, 'not a video');
  put(dir, '.hidden/x.mp4', 'hidden');
  return files;
}

/** The samples of one written split, over all its shards. */
export async function splitSamples(
  result: DatasetResult,
  split: string,
): Promise<{ key: string; fields: Map<string, Buffer> }[]> {
  const s = result.splits.find((x) => x.split === split);
  assert.ok(s, `split ${split} written`);
  return (await Promise.all(s.shards.map((sh) => readShard(sh.path)))).flat();
}
