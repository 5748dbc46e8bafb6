import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { from, lastValueFrom, toArray } from 'rxjs';
import { decodeClips, type DecodeClipsOptions, type DecodeClipsStats } from '../../operators/decode-clips.js';
import { Random } from '../../sources/random.js';
import type { Sample } from '../../sources/sample.js';
import { lastFrameNeeded, planClips } from '../../sources/video/clip-plan.js';
import { findFfmpegBinaries } from '../../sources/video/ffmpeg-binaries.js';
import type { VideoClip } from '../../sources/video/video-clip.js';
import { VideoFrameDecoder } from '../../sources/video/video-frame-decoder.js';
import { makeTestVideo } from '../helpers/make-test-video.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir();
const SIDE = 64;
const FRAME = SIDE * SIDE * 3;
const LONG_FRAMES = 7500; // 5 minutes at 25 fps
const RSS_BOUND = 64 * 1024 * 1024; // measured: ~36 MB (pipe reads not yet collected); the old reader kept 7,500 frames of 12,288 bytes: +104 MB

const sample = (key: string, field: string, bytes: Uint8Array): Sample => ({
  __key__: key,
  __url__: 'memory',
  [field]: bytes,
});

async function decodeWithStats(
  samples: Sample[],
  options: DecodeClipsOptions,
): Promise<{ out: Sample[]; stats: DecodeClipsStats[] }> {
  const stats: DecodeClipsStats[] = [];
  const out = await lastValueFrom(
    from(samples).pipe(decodeClips({ ...options, onStats: (s) => stats.push(s) }), toArray()),
  );
  return { out, stats };
}

/** Every frame of a video, kept (the reference the streamed clips are compared with). */
async function allFrames(bytes: Uint8Array, extension: string): Promise<Uint8Array[]> {
  const decoder = new VideoFrameDecoder();
  try {
    return (await decoder.decode({ bytes, extension, size: SIDE, crop: SIDE, threads: 1 })).frames;
  } finally {
    decoder.close();
  }
}

function assertClipsAreFrames(clips: readonly VideoClip[], frames: readonly Uint8Array[], stride = 1): void {
  for (const c of clips)
    for (let t = 0; t < c.shape[0]; t++) {
      const index = Math.min(c.start + t * stride, frames.length - 1);
      assert.deepEqual(c.data.subarray(t * FRAME, (t + 1) * FRAME), frames[index], `clip at ${c.start}, frame ${t}`);
    }
}

describe('decodeClips on long videos: frames stream into the open clips only', () => {
  let noDurationBytes: Uint8Array = new Uint8Array(0);
  before(() => {
    makeTestVideo(join(dir, 'long.mp4'), { frames: LONG_FRAMES, fps: 25, width: SIDE, height: SIDE });
    makeTestVideo(join(dir, 'mid.mkv'), { frames: 100, fps: 25, width: SIDE, height: SIDE });
    // an mkv written to a pipe declares no duration (ffmpeg cannot go back to write it)
    const { ffmpeg } = findFfmpegBinaries();
    const noDuration = spawnSync(
      ffmpeg.path,
      [
        ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=${SIDE}x${SIDE}:rate=25`],
        ...['-frames:v', '200', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-f', 'matroska'],
        'pipe:1',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(noDuration.status, 0, String(noDuration.stderr));
    assert.ok(noDuration.stdout.length > 1000);
    noDurationBytes = noDuration.stdout;
  });

  it('16 uniform clips of a 7,500-frame video: peak frames held <= clips x frames, RSS growth bounded', async () => {
    const bytes = readFileSync(join(dir, 'long.mp4'));
    const clips = 16;
    const frames = 16;
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const timer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 2);
    let result: Awaited<ReturnType<typeof decodeWithStats>>;
    try {
      result = await decodeWithStats([sample('long', 'mp4', bytes)], { mode: 'uniform', clips, frames, size: SIDE });
    } finally {
      clearInterval(timer);
    }
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const { out, stats } = result;
    assert.equal(stats.length, 1);
    const s = stats[0] as DecodeClipsStats;
    // the last uniform clip ends on the last frame: the whole video streams through
    assert.equal(s.framesRead, LONG_FRAMES);
    assert.equal(s.frameCount, LONG_FRAMES);
    assert.equal(s.decodes, 1);
    assert.equal(s.input, 'stdin');
    assert.ok(s.peakFramesHeld <= clips * frames, `peak frames held ${s.peakFramesHeld} > ${clips * frames}`);
    const growth = rssPeak - rssBefore;
    assert.ok(growth < RSS_BOUND, `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB (bound ${RSS_BOUND / 2 ** 20} MB)`);

    const got = out[0]?.clips as VideoClip[];
    assert.equal(got.length, clips);
    const room = LONG_FRAMES - frames;
    assert.deepEqual(
      got.map((c) => c.start),
      Array.from({ length: clips }, (_, i) => Math.round((i * room) / (clips - 1))),
    );
    // pixels: the first two clips against a plain decode of their frames, the last against the streamed tail
    const decoder = new VideoFrameDecoder();
    try {
      const head = await decoder.decode({
        bytes,
        extension: 'mp4',
        size: SIDE,
        crop: SIDE,
        threads: 1,
        maxFrames: (got[1] as VideoClip).start + frames,
      });
      assertClipsAreFrames(got.slice(0, 2), head.frames);
      const tail: Uint8Array[] = [];
      await decoder.stream({ bytes, extension: 'mp4', size: SIDE, crop: SIDE, threads: 1 }, (f, i) => {
        if (i >= room) tail[i] = f.slice();
      });
      assertClipsAreFrames(got.slice(-1), tail);
    } finally {
      decoder.close();
    }
  });

  it('a video that declares no duration keeps at most clips x frames frames, then is decoded again: the same clips', async () => {
    const reference = await allFrames(noDurationBytes, 'mkv');
    assert.equal(reference.length, 200);
    const { out, stats } = await decodeWithStats([sample('n', 'mkv', noDurationBytes)], {
      mode: 'uniform',
      clips: 4,
      frames: 8,
      stride: 2,
      size: SIDE,
    });
    assert.deepEqual(
      stats.map((s) => [s.framesRead, s.decodes, s.frameCount, s.input]),
      [[200 + 200, 2, 200, 'stdin']], // counted (200), then up to the last frame needed (the last one)
    );
    assert.ok((stats[0] as DecodeClipsStats).peakFramesHeld <= 32);
    const got = out[0]?.clips as VideoClip[];
    assert.deepEqual(
      got.map((c) => c.start),
      [0, 62, 123, 185],
    );
    assertClipsAreFrames(got, reference, 2);

    // shorter than clips x frames: kept while counted, one decode
    const few = await decodeWithStats([sample('n', 'mkv', noDurationBytes)], {
      mode: 'multi',
      clips: 30,
      frames: 8,
      size: SIDE,
      seed: 4,
      maxFrames: 50,
    });
    assert.deepEqual(
      few.stats.map((s) => [s.framesRead, s.decodes, s.frameCount]),
      [[50, 1, 50]],
    );
    assertClipsAreFrames(few.out[0]?.clips as VideoClip[], reference);
  });

  it('a video that ends before the count its container declares is re-planned from the true count (decoded again when needed)', async () => {
    const full = readFileSync(join(dir, 'mid.mkv'));
    const cut = full.subarray(0, Math.floor(full.length * 0.5)); // the header still says 100 frames
    const reference = await allFrames(cut, 'mkv');
    assert.ok(reference.length > 20 && reference.length < 90, `${reference.length} frames`);
    // uniform reads up to the declared last frame: the video ends first, the clips are re-planned on
    // its 44-odd frames (0, 18, 36 where 100 frames gave 0, 46, 92) and frames 18-25 were dropped
    const uniform = await decodeWithStats([sample('c', 'mkv', cut)], {
      mode: 'uniform',
      clips: 3,
      frames: 8,
      size: SIDE,
    });
    const u = uniform.stats[0] as DecodeClipsStats;
    assert.deepEqual([u.frameCount, u.decodes], [reference.length, 2]);
    assert.ok(u.peakFramesHeld <= 2 * 3 * 8);
    const room = reference.length - 8;
    assert.deepEqual(
      (uniform.out[0]?.clips as VideoClip[]).map((c) => c.start),
      [0, Math.round(room / 2), room],
    );
    assertClipsAreFrames(uniform.out[0]?.clips as VideoClip[], reference);
    // random clips: placed in the declared 100 frames when theirs arrive before the end (as before), else re-planned
    for (const seed of [1, 2, 7, 14]) {
      // seeds 7 and 14 place both clips in the first 30 frames, 1 and 2 beyond the 44th
      const { out, stats } = await decodeWithStats([sample('c', 'mkv', cut)], {
        mode: 'multi',
        clips: 2,
        frames: 8,
        size: SIDE,
        seed,
      });
      const s = stats[0] as DecodeClipsStats;
      const clips = out[0]?.clips as VideoClip[];
      const declared = planClips(
        100,
        { frames: 8, stride: 1, mode: 'multi', clips: 2 },
        Random.derive(seed, 'decode-clips', 0, 'c'),
      );
      if (lastFrameNeeded(declared) < reference.length) {
        assert.deepEqual([s.frameCount, s.decodes], [100, 1]);
        assert.deepEqual(
          clips.map((c) => c.start),
          declared.map((w) => w.start),
        );
      } else assert.equal(s.frameCount, reference.length);
      assertClipsAreFrames(clips, reference);
    }
  });
});
