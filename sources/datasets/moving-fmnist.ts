import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkInteger, rangeError, SampleError } from '../errors.js';
import type { WritableSample } from '../shard-writer.js';
import { findFfmpegBinaries } from '../video/ffmpeg-binaries.js';
import { CONVERT_OPTION_FLAGS, type ConvertOptions, type ConvertResult, type SplitResult } from './convert-options.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_DEBIAN_ROOT } from './fashion-mnist.js';
import { encodeGrayMp4 } from './moving-fmnist-encode.js';
import { planMovingFmnistClip, type MovingFmnistPlan } from './moving-fmnist-plan.js';
import {
  compassDirectionOf,
  MOVING_FMNIST_DIRECTIONS,
  renderMovingFmnist,
  type RenderedMovingClip,
} from './moving-fmnist-render.js';
import { readIdx, type IdxArray } from './read-idx.js';
import { writeSplit } from './write-split.js';
import { checkOptionKeys, optionKeys } from '../option-keys.js';

const CONVERT_MOVING_FMNIST_KEYS = optionKeys<MovingFmnistOptions>({
  ...CONVERT_OPTION_FLAGS,
  root: true,
  train: true,
  test: true,
  frames: true,
  items: true,
  seed: true,
  fps: true,
  size: true,
  concurrency: true,
  clipsPerProcess: true,
});

/** Options of {@link convertMovingFmnist}. */
export interface MovingFmnistOptions extends ConvertOptions {
  /** Folder with Fashion-MNIST's idx files (`train-images-idx3-ubyte[.gz]`, `t10k-...`). @default '/usr/share/datasets/fashion-mnist' */
  readonly root?: string;
  /** Train clips (items from the train split). @default 10000 */
  readonly train?: number;
  /** Test clips (items from the test split). @default 2000 */
  readonly test?: number;
  /** Frames per clip, 16..20. @default 20 */
  readonly frames?: number;
  /** Items per clip. @default 1 */
  readonly items?: 1 | 2;
  /** Seed of every random choice (items, starts, velocities). @default 0 */
  readonly seed?: number;
  /** Frame rate written in the mp4 (metadata only: the motion is in pixels per frame). @default 10 */
  readonly fps?: number;
  /** Side of the square canvas in pixels (even, > 28). @default 64 */
  readonly size?: number;
  /** ffmpeg encoder processes at once. @default 2 */
  readonly concurrency?: number;
  /**
   * Clips encoded by one ffmpeg process (clips `[k * n, (k + 1) * n)` of a split go together, so the
   * bytes do not depend on `concurrency`; see `encodeGrayMp4`). 1: one process per clip. @default 32
   */
  readonly clipsPerProcess?: number;
  /** Aborting stops the conversion: running ffmpeg processes are killed, and the promise rejects. */
  readonly signal?: AbortSignal;
}

const ACTION = 'convert Moving-Fashion-MNIST';
const SIDE = 28;

interface SplitData {
  readonly split: 'train' | 'test';
  readonly images: IdxArray;
  readonly labels: IdxArray;
  readonly clips: number;
}

function idxPath(root: string, stem: string, kind: 'images' | 'labels'): string {
  const name = `${stem}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte`;
  for (const candidate of [join(root, `${name}.gz`), join(root, name)]) if (existsSync(candidate)) return candidate;
  throw rangeError(
    ACTION,
    `the folder must hold ${name}.gz or ${name} (Debian: apt install dataset-fashion-mnist)`,
    root,
  );
}

async function loadSplit(root: string, split: 'train' | 'test', clips: number): Promise<SplitData> {
  const stem = split === 'train' ? 'train' : 't10k';
  const images = await readIdx(idxPath(root, stem, 'images'), { ndims: 3, inner: [SIDE, SIDE] });
  const labels = await readIdx(idxPath(root, stem, 'labels'), { ndims: 1 });
  const n = images.dims[0] as number;
  if (labels.dims[0] !== n)
    throw rangeError(ACTION, `${labels.path} must hold one label per image of ${images.path} (${n})`, labels.dims[0]);
  if (n === 0) throw rangeError(ACTION, `${images.path} must hold at least one image`, 0);
  const bad = labels.data.findIndex((l) => l >= FASHION_MNIST_CLASSES.length);
  if (bad >= 0)
    throw rangeError(ACTION, `every label of ${labels.path} must be in [0, 9] (label ${bad})`, labels.data[bad]);
  return { split, images, labels, clips };
}

interface ClipSettings {
  readonly seed: number;
  readonly frames: number;
  readonly items: 1 | 2;
  readonly fps: number;
  readonly size: number;
  readonly concurrency: number;
  readonly clipsPerProcess: number;
  readonly ffmpeg: string;
  readonly scratch: string;
}

const keyOf = (split: string, index: number): string => `${split}/${String(index).padStart(6, '0')}`;

/** The samples of clips `[first, first + count)`: rendered, encoded by one ffmpeg process, labelled. */
async function clipGroup(
  data: SplitData,
  first: number,
  count: number,
  s: ClipSettings,
  signal: AbortSignal,
): Promise<WritableSample[]> {
  const { split, images } = data;
  const clips = Array.from({ length: count }, (_, k) => {
    const plan = planMovingFmnistClip(s.seed, split, first + k, {
      items: s.items,
      pool: images.dims[0] as number,
      size: s.size,
      side: SIDE,
    });
    const rendered = renderMovingFmnist(
      plan.items.map((item, j) => ({
        image: images.data.subarray(item * SIDE * SIDE, (item + 1) * SIDE * SIDE),
        start: plan.starts[j]!,
        velocity: plan.velocities[j]!,
      })),
      { frames: s.frames, size: s.size },
    );
    return { plan, rendered };
  });
  let mp4s: Buffer[];
  try {
    mp4s = await encodeGrayMp4(
      clips.map((c) => c.rendered.data),
      [s.frames, s.size, s.size],
      { ffmpeg: s.ffmpeg, fps: s.fps, scratch: join(s.scratch, `${split}-${first}`), signal },
    );
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const range = count === 1 ? keyOf(split, first) : `${keyOf(split, first)}..${keyOf(split, first + count - 1)}`;
    throw new SampleError(
      'encode',
      `Cannot encode Moving-Fashion-MNIST clips ${range}`,
      { key: keyOf(split, first), field: 'mp4' },
      error,
    );
  }
  return clips.map(({ plan, rendered }, k) => clipSample(data, first + k, plan, rendered, mp4s[k]!, s));
}

/** One clip's sample. */
function clipSample(
  data: SplitData,
  index: number,
  plan: MovingFmnistPlan,
  rendered: RenderedMovingClip,
  mp4: Buffer,
  s: ClipSettings,
): WritableSample {
  const { split, labels } = data;
  const key = keyOf(split, index);
  const classes = plan.items.map((i) => labels.data[i] as number);
  const direction = plan.directions[0] as number;
  return {
    __key__: key,
    mp4,
    cls: String(classes[0]),
    json: {
      classes,
      className: FASHION_MNIST_CLASSES[classes[0] as number],
      classNames: classes.map((c) => FASHION_MNIST_CLASSES[c]),
      direction,
      directionName: MOVING_FMNIST_DIRECTIONS[direction],
      directions: plan.directions,
      velocities: plan.velocities,
      starts: plan.starts,
      bounces: rendered.bounces,
      frameDirections: rendered.frameVelocities.map((vs) => vs.map((v) => compassDirectionOf(v))),
      items: plan.items,
      frames: s.frames,
      fps: s.fps,
      size: s.size,
      split,
      index,
      seed: s.seed,
    },
  };
}

/**
 * The clips of one split in index order, at most `concurrency` groups (ffmpeg processes) in flight;
 * when the consumer stops early or an encode fails, the others are aborted (their ffmpeg killed) and
 * awaited.
 */
async function* clipSamples(
  data: SplitData,
  s: ClipSettings,
  outer: AbortSignal | undefined,
): AsyncGenerator<WritableSample> {
  const controller = new AbortController();
  const onOuter = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  if (outer?.aborted) onOuter();
  const inFlight: Promise<WritableSample[]>[] = [];
  let next = 0;
  try {
    while (next < data.clips || inFlight.length > 0) {
      while (inFlight.length < s.concurrency && next < data.clips) {
        const count = Math.min(s.clipsPerProcess, data.clips - next);
        const p = clipGroup(data, next, count, s, controller.signal);
        next += count;
        p.catch(() => {}); // awaited in order below; no unhandled rejection meanwhile
        inFlight.push(p);
      }
      yield* await inFlight.shift()!;
    }
  } finally {
    controller.abort(new Error('Moving-Fashion-MNIST conversion stopped'));
    outer?.removeEventListener('abort', onOuter);
    await Promise.allSettled(inFlight);
  }
}

/**
 * Converts Fashion-MNIST into Moving-Fashion-MNIST video shards `<out>/train-%06d.tar` and
 * `<out>/test-%06d.tar`: per clip, 1 or 2 Fashion-MNIST items (28x28; train clips draw their items from
 * the train split, test clips from the test split) moving in a black 64x64 canvas for 16..20 frames,
 * bouncing off the walls (see `renderMovingFmnist`; items overlapping combine with the maximum). Each
 * clip's items, start corners and velocities derive from `(seed, split, index)` (see
 * `planMovingFmnistClip`: speed 2..4 px/frame, direction one of 8 compass points +-15 degrees).
 *
 * Fields of a sample `train/000123`:
 * - `mp4`: the clip, H.264 (libx264, yuv420p, gray content), `fps` frames per second;
 * - `cls`: the class of the first item (0..9, as text);
 * - `json`: `{classes, className, classNames, direction, directionName, directions, velocities, starts,
 *   bounces, frameDirections, items, frames, fps, size, split, index, seed}` (per-item arrays in item
 *   order; `frameDirections[j][t]` is item j's direction label leaving frame t, after any bounce).
 *
 * The direction label (`direction`, 0..7 = E, NE, N, NW, W, SW, S, SE, north up) is the compass point
 * of the first item's velocity at frame 0. Bouncing reflects a velocity component, so after the
 * first bounce (`bounces[0][0]`, the frame index; in 20 frames most items bounce at least once) the
 * item moves in the mirrored direction: the label names the motion of the opening frames, and the
 * whole trajectory follows from it and the start, but later frames may show another direction. A
 * clip sampler that takes frames from later in the video should label a clip starting at frame t with
 * `frameDirections[0][t]` (the first item's direction at that frame; reflecting a velocity that is
 * within 15 degrees of a compass point gives one within 15 degrees of the mirrored point, so these
 * labels are as clean as the first).
 *
 * Encoding runs up to `concurrency` ffmpeg processes at once (from `findFfmpegBinaries()`), each
 * encoding `clipsPerProcess` consecutive clips (`encodeGrayMp4`); every process is killed and awaited,
 * and the scratch folder removed, on success, error and abort. Deterministic given the seed: the
 * rendered pixels are; the mp4 bytes are for one ffmpeg build and one `clipsPerProcess`.
 *
 * @example await convertMovingFmnist({ out: 'data/moving-fmnist', train: 10000, test: 2000, seed: 0 })
 * @throws RangeError/TypeError for bad options or idx files (before anything is written); Error when
 *   no ffmpeg is found; SampleError (reason `encode`, the first key of the group, field `mp4`) when
 *   ffmpeg fails on a group of clips.
 */
export async function convertMovingFmnist(options: MovingFmnistOptions): Promise<ConvertResult> {
  checkOptionKeys('convertMovingFmnist', options, CONVERT_MOVING_FMNIST_KEYS);
  const root = options.root ?? FASHION_MNIST_DEBIAN_ROOT;
  const train = checkInteger(ACTION, 'train', options.train ?? 10_000, 0, 10_000_000);
  const test = checkInteger(ACTION, 'test', options.test ?? 2_000, 0, 10_000_000);
  const frames = checkInteger(ACTION, 'frames', options.frames ?? 20, 16, 20);
  const items = checkInteger(ACTION, 'items', options.items ?? 1, 1, 2) as 1 | 2;
  const seed = checkInteger(ACTION, 'seed', options.seed ?? 0, 0, 0xffffffff);
  const fps = checkInteger(ACTION, 'fps', options.fps ?? 10, 1, 240);
  const size = checkInteger(ACTION, 'size', options.size ?? 64, SIDE + 2, 1024);
  if (size % 2 !== 0) throw rangeError(ACTION, 'size must be even (yuv420p halves the chroma planes)', size);
  const concurrency = checkInteger(ACTION, 'concurrency', options.concurrency ?? 2, 1, 64);
  const clipsPerProcess = checkInteger(ACTION, 'clipsPerProcess', options.clipsPerProcess ?? 32, 1, 10_000);
  const { ffmpeg } = findFfmpegBinaries();
  const splits: SplitData[] = [];
  if (train > 0) splits.push(await loadSplit(root, 'train', train));
  if (test > 0) splits.push(await loadSplit(root, 'test', test));
  const scratch = await mkdtemp(join(tmpdir(), 'ndaflow-moving-fmnist-'));
  const settings: ClipSettings = {
    seed,
    frames,
    items,
    fps,
    size,
    concurrency,
    clipsPerProcess,
    ffmpeg: ffmpeg.path,
    scratch,
  };
  const results: SplitResult[] = [];
  let done = 0;
  try {
    for (const data of splits) {
      const r = await writeSplit(data.split, clipSamples(data, settings, options.signal), options, done);
      done += r.samples;
      results.push(r);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return { splits: results };
}
