/**
 * `npm run bench:video`: clips/s of 16-frame 112x112 clips through
 * `createLoader(fromShards(...), decodeClips(...))` on this machine's cores, ffmpeg start-up
 * included: (a) from tar shards of 200 synthetic mp4 videos (160x120, 48-64 frames, made once into
 * `os.tmpdir()/ndaflow-bench/video`), for each clip mode; (b) from the real opencv-doc videos
 * (Megamind.avi, tree.avi, vtest.avi) written into a shard and read for several epochs.
 * Progress lines first; the last line is one JSON object: `{"clips_per_s", "opencv_clips_per_s", ...}`.
 *
 * Each configuration is measured once per round (whole epochs, at least `--seconds`), rounds
 * interleaved so that load from other processes spreads over all of them; the figures are the medians.
 *
 * `--rounds R` (default 3), `--seconds S` (minimum time per measurement, default 2), `--threads N`
 * (ffmpeg `-threads`, default 1), `--concurrency N` (ffmpeg processes, default 2).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeClips, type DecodeClipsOptions } from '../operators/decode-clips.js';
import { fromShards } from '../sources/from-shards.js';
import { createLoader } from '../sources/loader.js';
import { ShardWriter } from '../sources/shard-writer.js';
import { findFfmpegBinaries } from '../sources/video/ffmpeg-binaries.js';
import type { VideoClip } from '../sources/video/video-clip.js';
import { CORES, round, runBounded } from './measure.js';

const OPENCV = '/usr/share/doc/opencv-doc/examples/data';
const PATTERNS = ['testsrc', 'testsrc2', 'smptebars', 'mandelbrot'];
const VIDEOS = 200;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '2' },
  },
});
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const threads = Number(args.threads);
const concurrency = Number(args.concurrency);
const ffmpeg = findFfmpegBinaries().ffmpeg;

function run(command: string, argv: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed: ${stderr}`))));
  });
}

/** 4 shards of 50 mp4 videos (160x120, 48-64 frames at 25 fps, four lavfi patterns), made once. */
async function syntheticShards(dir: string): Promise<string> {
  const spec = join(dir, 'mp4-{000000..000003}.tar');
  if (existsSync(join(dir, 'mp4-000003.tar'))) return spec;
  const raw = join(dir, 'raw');
  mkdirSync(raw, { recursive: true });
  console.log(`bench:video: making ${VIDEOS} test videos in ${raw} (once)`);
  const ids = Array.from({ length: VIDEOS }, (_, i) => i);
  await runBounded(ids, CORES, async (i) => {
    const path = join(raw, `v${i}.mp4`);
    if (existsSync(path)) return;
    const pattern = PATTERNS[i % PATTERNS.length] as string;
    const frames = 48 + (i % 17);
    await run(ffmpeg.path, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `${pattern}=size=160x120:rate=25`,
      '-ss',
      String((i % 7) * 0.4),
      '-frames:v',
      String(frames),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      `${path}.tmp.mp4`,
    ]);
    renameSync(`${path}.tmp.mp4`, path);
  });
  const writer = new ShardWriter(join(dir, 'mp4-%06d.tar'), { maxSamples: VIDEOS / 4 });
  for (const i of ids)
    await writer.write({
      __key__: `video${String(i).padStart(4, '0')}`,
      mp4: readFileSync(join(raw, `v${i}.mp4`)),
      cls: i % 10,
    });
  await writer.close();
  return spec;
}

/** One shard of the three opencv-doc videos, or undefined when opencv-doc is absent. */
async function opencvShard(dir: string): Promise<string | undefined> {
  const names = ['Megamind.avi', 'tree.avi', 'vtest.avi'];
  if (!names.every((n) => existsSync(join(OPENCV, n)))) return undefined;
  const path = join(dir, 'opencv-000000.tar');
  if (existsSync(path)) return path;
  const writer = new ShardWriter(join(dir, 'opencv-%06d.tar'));
  for (const n of names) await writer.write({ __key__: n.replace('.avi', ''), avi: readFileSync(join(OPENCV, n)) });
  await writer.close();
  return path;
}

interface Measured {
  readonly clipsPerS: number;
  readonly videosPerS: number;
  readonly clips: number;
  readonly seconds: number;
}

/** Clips/s through the loader: epochs over `spec` until at least `seconds` have passed (whole epochs). */
async function measure(label: string, spec: string, options: DecodeClipsOptions): Promise<Measured> {
  const start = performance.now();
  let clips = 0;
  let videos = 0;
  let epoch = 0;
  while (epoch === 0 || performance.now() - start < seconds * 1000) {
    const it = createLoader(
      fromShards(spec, { seed: epoch }),
      decodeClips({ seed: 1, threads, concurrency, ...options }),
    ).iterate();
    for await (const s of it) {
      const list = s['clips'] as VideoClip[];
      clips += list.length;
      videos++;
    }
    epoch++;
  }
  const elapsed = (performance.now() - start) / 1000;
  const m = {
    clipsPerS: round(clips / elapsed, 1),
    videosPerS: round(videos / elapsed, 1),
    clips,
    seconds: round(elapsed, 2),
  };
  console.log(
    `bench:video: ${label}: ${m.clipsPerS} clips/s (${m.videosPerS} videos/s, ${clips} clips in ${m.seconds} s)`,
  );
  return m;
}

/** Median of a list of rates. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const dir = join(tmpdir(), 'ndaflow-bench', 'video');
  mkdirSync(dir, { recursive: true });
  const spec = await syntheticShards(dir);
  const opencv = await opencvShard(dir);
  const version = await new Promise<string>((resolve) => {
    const child = spawn(ffmpeg.path, ['-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', () =>
      resolve(
        out
          .split('\n')[0]
          ?.replace(/^ffmpeg version /, '')
          .split(' ')[0] ?? '?',
      ),
    );
    child.on('error', () => resolve('?'));
  });
  console.log(
    `bench:video: ffmpeg ${version} (${ffmpeg.source}), ${CORES} cores, concurrency ${concurrency}, threads ${threads}, 16 x 112 x 112 clips, ${rounds} interleaved rounds (median)`,
  );
  const clip: DecodeClipsOptions = { frames: 16, size: 112 };
  const configs: [string, string, string, DecodeClipsOptions][] = [
    ['random_1', 'synthetic mp4, random (1 clip per video = 1 ffmpeg per clip)', spec, { ...clip, mode: 'random' }],
    ['multi_2', 'synthetic mp4, multi 2 clips per video', spec, { ...clip, mode: 'multi', clips: 2 }],
    ['multi_4', 'synthetic mp4, multi 4 clips per video', spec, { ...clip, mode: 'multi', clips: 4 }],
    ['uniform_8', 'synthetic mp4, uniform 8 clips per video', spec, { ...clip, mode: 'uniform', clips: 8 }],
    [
      'multi_4_fast_bilinear',
      'synthetic mp4, multi 4 clips, scaler fast_bilinear',
      spec,
      { ...clip, mode: 'multi', clips: 4, scaler: 'fast_bilinear' },
    ],
    [
      'multi_4_stride_2',
      'synthetic mp4, multi 4 clips, stride 2',
      spec,
      { ...clip, stride: 2, mode: 'multi', clips: 4 },
    ],
  ];
  if (opencv === undefined)
    console.log(`bench:video: ${OPENCV} not present (apt install opencv-doc): opencv figures skipped`);
  else {
    configs.push(
      ['opencv_random_1', 'opencv-doc avi, random (1 clip per video)', opencv, { ...clip, mode: 'random' }],
      [
        'opencv_uniform_16',
        'opencv-doc avi, uniform 16 clips per video',
        opencv,
        { ...clip, mode: 'uniform', clips: 16 },
      ],
      [
        'opencv_uniform_16_fast_bilinear',
        'opencv-doc avi, uniform 16 clips, scaler fast_bilinear',
        opencv,
        { ...clip, mode: 'uniform', clips: 16, scaler: 'fast_bilinear' },
      ],
    );
  }
  const rates = new Map<string, number[]>(configs.map(([key]) => [key, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [key, label, shardSpec, options] of configs)
      rates.get(key)?.push((await measure(`round ${round + 1}: ${label}`, shardSpec, options)).clipsPerS);
  }
  const result = Object.fromEntries([...rates].map(([key, list]) => [key, round(median(list), 1)]));
  console.log(
    JSON.stringify({
      clips_per_s: result['multi_4'],
      opencv_clips_per_s: result['opencv_uniform_16'] ?? null,
      mode: 'multi',
      clips_per_video: 4,
      opencv_mode: 'uniform',
      opencv_clips_per_video: 16,
      by_config: result,
      ffmpeg: { version, source: ffmpeg.source },
      cores: CORES,
      concurrency,
      threads,
    }),
  );
}

await main();
