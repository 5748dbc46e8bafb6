/**
 * `npm run bench:video`: clips/s of 16-frame 112x112 clips through
 * `createLoader(fromShards(...), decodeClips(...))` on this machine's cores, ffmpeg start-up
 * included: (a) from tar shards of 200 synthetic mp4 videos (160x120, 48-64 frames, made once into
 * `os.tmpdir()/ndaflow-bench/video`), for each clip mode; (b) from the real opencv-doc videos
 * (Megamind.avi, tree.avi, vtest.avi) written into a shard and read for several epochs.
 *
 * Beside the loader, in the same rounds: bare ffmpeg on the same synthetic videos and clips (the
 * same command line, decoding up to the same last frame the clips need, read from the mp4 files,
 * the same number of concurrent processes, rgb24 to a pipe that is drained, no Node work per frame),
 * with one clip per video (`random`) and with 4 (`multi`), each started by `child_process.spawn`.
 * That is the reference the loader is measured against: the ratios are loader / bare. The loader
 * starts its processes more cheaply than `spawn` (through a small `/bin/sh` helper, see
 * `sources/video/ffmpeg-launcher.ts`), so `by_config.bare_multi_4_shell_launcher` also times bare
 * ffmpeg started that way: the loader's true ceiling on the 4-clip set.
 *
 * Progress lines first; the last line is one JSON object: `{"clips_per_s" (4 clips per video,
 * synthetic), "one_clip_per_video_clips_per_s", "bare_ffmpeg_clips_per_s",
 * "bare_ffmpeg_one_clip_per_video_clips_per_s", "ratio_to_bare_ffmpeg",
 * "one_clip_per_video_ratio_to_bare_ffmpeg", "bare_ffmpeg_shell_launcher_clips_per_s",
 * "ratio_to_bare_ffmpeg_shell_launcher", "opencv_clips_per_s", "load_average", ...}`.
 *
 * Each configuration is measured once per round (whole epochs, at least `--seconds`), rounds
 * interleaved so that load from other processes spreads over all of them; the figures are the medians.
 * `--only a,b` measures only those configuration keys (for profiling: `node --cpu-prof ...`).
 *
 * `--rounds R` (default 3), `--seconds S` (minimum time per measurement, default 2), `--threads N`
 * (ffmpeg `-threads`, default 1), `--concurrency N` (ffmpeg processes, default 2).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeClips, type DecodeClipsOptions } from '../operators/decode-clips.js';
import { fromShards } from '../sources/from-shards.js';
import { createLoader } from '../sources/loader.js';
import { Random } from '../sources/random.js';
import { ShardWriter } from '../sources/shard-writer.js';
import { lastFrameNeeded, planClips, type ClipSampling } from '../sources/video/clip-plan.js';
import { findFfmpegBinaries } from '../sources/video/ffmpeg-binaries.js';
import type { VideoClip } from '../sources/video/video-clip.js';
import { CORES, round, runBounded } from './measure.js';
import { ffmpegDecodeArgs } from '../sources/video/ffmpeg-decode-args.js';
import { ShellLauncher } from '../sources/video/ffmpeg-launcher.js';

const OPENCV = '/usr/share/doc/opencv-doc/examples/data';
const PATTERNS = ['testsrc', 'testsrc2', 'smptebars', 'mandelbrot'];
const VIDEOS = 200;
const SEED = 1;
const FRAMES = 16;
const SIZE = 112;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
});
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const threads = Number(args.threads);
const concurrency = Number(args.concurrency);
const only = args.only === undefined ? undefined : new Set(args.only.split(','));
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

/** One synthetic video: its sample key, mp4 file and frame count. */
interface SyntheticVideo {
  readonly key: string;
  readonly path: string;
  readonly frames: number;
}

const syntheticVideos = (raw: string): SyntheticVideo[] =>
  Array.from({ length: VIDEOS }, (_, i) => ({
    key: `video${String(i).padStart(4, '0')}`,
    path: join(raw, `v${i}.mp4`),
    frames: 48 + (i % 17),
  }));

/** 4 shards of 50 mp4 videos (160x120, 48-64 frames at 25 fps, four lavfi patterns), made once. */
async function syntheticShards(dir: string, videos: readonly SyntheticVideo[]): Promise<string> {
  const spec = join(dir, 'mp4-{000000..000003}.tar');
  if (existsSync(join(dir, 'mp4-000003.tar')) && videos.every((v) => existsSync(v.path))) return spec;
  console.log(`bench:video: making ${VIDEOS} test videos in ${join(dir, 'raw')} (once)`);
  mkdirSync(join(dir, 'raw'), { recursive: true });
  await runBounded(
    videos.map((v, i) => [v, i] as const),
    CORES,
    async ([{ path, frames }, i]) => {
      if (existsSync(path)) return;
      const pattern = PATTERNS[i % PATTERNS.length] as string;
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
    },
  );
  const writer = new ShardWriter(join(dir, 'mp4-%06d.tar'), { maxSamples: VIDEOS / 4 });
  for (const [i, v] of videos.entries()) await writer.write({ __key__: v.key, mp4: readFileSync(v.path), cls: i % 10 });
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

/** Epochs of `epoch()` (each returning its clips and videos) until at least `seconds` have passed. */
async function timed(label: string, epoch: () => Promise<[number, number]>): Promise<Measured> {
  const start = performance.now();
  let clips = 0;
  let videos = 0;
  let epochs = 0;
  while (epochs === 0 || performance.now() - start < seconds * 1000) {
    const [c, v] = await epoch();
    clips += c;
    videos += v;
    epochs++;
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

/** One epoch of the loader over `spec`: its clips and videos. */
function loaderEpoch(spec: string, options: DecodeClipsOptions): () => Promise<[number, number]> {
  return async () => {
    let clips = 0;
    let videos = 0;
    const it = createLoader(
      fromShards(spec, { seed: 0 }),
      decodeClips({ seed: SEED, threads, concurrency, ...options }),
    ).iterate();
    for await (const s of it) {
      clips += (s['clips'] as VideoClip[]).length;
      videos++;
    }
    return [clips, videos];
  };
}

/**
 * One epoch of bare ffmpeg: for each video the decoder's own command line (see
 * `sources/video/video-frame-decoder.ts`) on the mp4 file, stopped after the last frame its clips
 * need (`-frames:v`, the same clips as the loader's: same seed, key and epoch), output drained.
 */
function bareEpoch(
  videos: readonly SyntheticVideo[],
  sampling: ClipSampling,
  launch: 'direct' | 'shell' = 'direct',
): () => Promise<[number, number]> {
  const jobs = videos.map((v) => {
    const windows = planClips(v.frames, sampling, Random.derive(SEED, 'decode-clips', 0, v.key));
    const argv = ffmpegDecodeArgs({
      input: v.path,
      threads,
      size: SIZE,
      crop: SIZE,
      scaler: 'bilinear',
      maxFrames: lastFrameNeeded(windows) + 1,
      loglevel: 'error',
    });
    return { argv, clips: windows.length };
  });
  /** One epoch: every job through `run` (at most `concurrency` at once); [clips, videos]. */
  const epoch = async (run: (argv: readonly string[]) => Promise<void>): Promise<[number, number]> => {
    let clips = 0;
    await runBounded(jobs, concurrency, (job) => {
      clips += job.clips;
      return run(job.argv);
    });
    return [clips, jobs.length];
  };
  if (launch === 'direct')
    return () =>
      epoch(
        (argv) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(ffmpeg.path, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
            child.stdout.resume();
            child.on('error', reject);
            child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}`))));
          }),
      );
  return async () => {
    const folder = mkdtempSync(join(tmpdir(), 'ndaflow-bench-video-'));
    const launcher = new ShellLauncher(folder);
    try {
      return await epoch(
        (argv) =>
          new Promise<void>((resolve, reject) => {
            launcher.start(ffmpeg.path, argv, undefined, {
              stdout: () => undefined,
              stderr: () => undefined,
              close: (exit, error) =>
                exit.code === 0 ? resolve() : reject(error ?? new Error(`ffmpeg exited with ${exit.code}`)),
            });
          }),
      );
    } finally {
      launcher.close();
      rmSync(folder, { recursive: true, force: true });
    }
  };
}

/** Median of a list of rates. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function ffmpegVersion(): Promise<string> {
  return new Promise<string>((resolve) => {
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
}

async function main(): Promise<void> {
  const dir = join(tmpdir(), 'ndaflow-bench', 'video');
  mkdirSync(dir, { recursive: true });
  const videos = syntheticVideos(join(dir, 'raw'));
  const spec = await syntheticShards(dir, videos);
  const opencv = await opencvShard(dir);
  const version = await ffmpegVersion();
  console.log(
    `bench:video: ffmpeg ${version} (${ffmpeg.source}), ${CORES} cores, concurrency ${concurrency}, threads ${threads}, ${FRAMES} x ${SIZE} x ${SIZE} clips, ${rounds} interleaved rounds (median), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const clip = { frames: FRAMES, size: SIZE } as const;
  const sampling = (mode: ClipSampling['mode'], clips: number): ClipSampling => ({
    frames: FRAMES,
    stride: 1,
    mode,
    clips,
  });
  const configs: [string, string, () => Promise<[number, number]>][] = [
    [
      'random_1',
      'loader, synthetic mp4, random (1 clip per video = 1 ffmpeg per clip)',
      loaderEpoch(spec, { ...clip, mode: 'random' }),
    ],
    [
      'bare_random_1',
      'bare ffmpeg, synthetic mp4, the same 1 clip per video',
      bareEpoch(videos, sampling('random', 1)),
    ],
    [
      'multi_4',
      'loader, synthetic mp4, multi 4 clips per video',
      loaderEpoch(spec, { ...clip, mode: 'multi', clips: 4 }),
    ],
    ['bare_multi_4', 'bare ffmpeg, synthetic mp4, the same 4 clips per video', bareEpoch(videos, sampling('multi', 4))],
    [
      'bare_multi_4_shell_launcher',
      'bare ffmpeg started as the loader starts it (sh helper + FIFOs), the same 4 clips per video',
      bareEpoch(videos, sampling('multi', 4), 'shell'),
    ],
    [
      'multi_2',
      'loader, synthetic mp4, multi 2 clips per video',
      loaderEpoch(spec, { ...clip, mode: 'multi', clips: 2 }),
    ],
    [
      'uniform_8',
      'loader, synthetic mp4, uniform 8 clips per video',
      loaderEpoch(spec, { ...clip, mode: 'uniform', clips: 8 }),
    ],
    [
      'multi_4_fast_bilinear',
      'loader, synthetic mp4, multi 4 clips, scaler fast_bilinear',
      loaderEpoch(spec, { ...clip, mode: 'multi', clips: 4, scaler: 'fast_bilinear' }),
    ],
    [
      'multi_4_stride_2',
      'loader, synthetic mp4, multi 4 clips, stride 2',
      loaderEpoch(spec, { ...clip, stride: 2, mode: 'multi', clips: 4 }),
    ],
  ];
  if (opencv === undefined)
    console.log(`bench:video: ${OPENCV} not present (apt install opencv-doc): opencv figures skipped`);
  else {
    configs.push(
      [
        'opencv_random_1',
        'loader, opencv-doc avi, random (1 clip per video)',
        loaderEpoch(opencv, { ...clip, mode: 'random' }),
      ],
      [
        'opencv_uniform_16',
        'loader, opencv-doc avi, uniform 16 clips per video',
        loaderEpoch(opencv, { ...clip, mode: 'uniform', clips: 16 }),
      ],
      [
        'opencv_uniform_16_fast_bilinear',
        'loader, opencv-doc avi, uniform 16 clips, scaler fast_bilinear',
        loaderEpoch(opencv, { ...clip, mode: 'uniform', clips: 16, scaler: 'fast_bilinear' }),
      ],
    );
  }
  const chosen = configs.filter(([key]) => only === undefined || only.has(key));
  const rates = new Map<string, number[]>(chosen.map(([key]) => [key, []]));
  for (let r = 0; r < rounds; r++)
    for (const [key, label, epoch] of chosen)
      rates.get(key)?.push((await timed(`round ${r + 1}: ${label}`, epoch)).clipsPerS);
  const result = Object.fromEntries([...rates].map(([key, list]) => [key, round(median(list), 1)]));
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b === 0 ? null : round(a / b, 2);
  console.log(
    JSON.stringify({
      clips_per_s: result['multi_4'] ?? null,
      one_clip_per_video_clips_per_s: result['random_1'] ?? null,
      bare_ffmpeg_clips_per_s: result['bare_multi_4'] ?? null,
      bare_ffmpeg_one_clip_per_video_clips_per_s: result['bare_random_1'] ?? null,
      ratio_to_bare_ffmpeg: ratio(result['multi_4'], result['bare_multi_4']),
      one_clip_per_video_ratio_to_bare_ffmpeg: ratio(result['random_1'], result['bare_random_1']),
      bare_ffmpeg_shell_launcher_clips_per_s: result['bare_multi_4_shell_launcher'] ?? null,
      ratio_to_bare_ffmpeg_shell_launcher: ratio(result['multi_4'], result['bare_multi_4_shell_launcher']),
      opencv_clips_per_s: result['opencv_uniform_16'] ?? null,
      mode: 'multi',
      clips_per_video: 4,
      opencv_mode: 'uniform',
      opencv_clips_per_video: 16,
      by_config: result,
      load_average: loadavg().map((l) => round(l, 2)),
      ffmpeg: { version, source: ffmpeg.source },
      cores: CORES,
      concurrency,
      threads,
    }),
  );
}

await main();
