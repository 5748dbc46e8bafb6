import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { VideoFrameDecoder } from '../../../sources/video/video-frame-decoder.js';
import { makeTestVideo } from '../../helpers/make-test-video.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { ffmpegChildren, launcherProcesses, untilNoFfmpegChildren, videoTempDirs } from './video-test-helpers.js';

describe('VideoFrameDecoder', () => {
  const dir = tempDir();
  before(() => {
    for (const ext of ['mp4', 'avi', 'webm', 'mkv', 'mov'])
      makeTestVideo(join(dir, `v.${ext}`), { frames: 30, fps: 25, width: 96, height: 64 });
    makeTestVideo(join(dir, 'vfr.mkv'), { frames: 30, fps: 25, width: 64, height: 64, vfr: true });
    makeTestVideo(join(dir, 'long.mp4'), { frames: 250, fps: 25, width: 64, height: 48 });
  });

  for (const ext of ['mp4', 'avi', 'webm', 'mkv', 'mov']) {
    it(`decodes ${ext}: every frame, short side scaled then centre-cropped, RGB`, async () => {
      const decoder = new VideoFrameDecoder();
      try {
        const r = await decoder.decode({
          bytes: readFileSync(join(dir, `v.${ext}`)),
          extension: ext,
          size: 48,
          crop: 40,
          threads: 1,
        });
        assert.equal(r.frames.length, 30);
        assert.equal(r.ended, true);
        assert.equal(r.fps, 25);
        assert.equal(r.estimatedFrames, 30);
        for (const f of r.frames) assert.equal(f.length, 40 * 40 * 3);
        // testsrc moves: consecutive frames differ, and the frames are not blank
        assert.notDeepEqual(r.frames[0], r.frames[10]);
        assert.ok(r.frames[0]?.some((v) => v > 50));
      } finally {
        decoder.close();
      }
    });
  }

  it('fps resamples (25 fps -> 5 fps gives 1/5 of the frames) and makes a variable-frame-rate video regular', async () => {
    const decoder = new VideoFrameDecoder();
    try {
      const r = await decoder.decode({
        bytes: readFileSync(join(dir, 'v.mp4')),
        extension: 'mp4',
        size: 32,
        crop: 32,
        fps: 5,
        threads: 1,
      });
      assert.equal(r.frames.length, 6);
      assert.equal(r.fps, 5);
      const vfrBytes = readFileSync(join(dir, 'vfr.mkv'));
      const own = await decoder.decode({ bytes: vfrBytes, extension: 'mkv', size: 32, crop: 32, threads: 1 });
      assert.equal(own.frames.length, 30, "without fps: the video's own 30 frames, none duplicated");
      // 30 frames kept of 45 source frames at 25 fps: 1.8 s; at a regular 10 fps that is 18 frames
      const regular = await decoder.decode({
        bytes: vfrBytes,
        extension: 'mkv',
        size: 32,
        crop: 32,
        fps: 10,
        threads: 1,
      });
      assert.ok(Math.abs(regular.frames.length - 18) <= 1, `got ${regular.frames.length} frames`);
    } finally {
      decoder.close();
    }
  });

  it('stops after the last frame needed (the process is killed) and says so', async () => {
    const decoder = new VideoFrameDecoder();
    try {
      let estimated = -1;
      const r = await decoder.decode({
        bytes: readFileSync(join(dir, 'long.mp4')),
        extension: 'mp4',
        size: 32,
        crop: 32,
        threads: 1,
        lastNeeded: (n) => ((estimated = n), 9),
      });
      assert.equal(estimated, 250);
      assert.equal(r.ended, false);
      assert.ok(r.frames.length >= 10 && r.frames.length < 250, `${r.frames.length} frames`);
      assert.equal(r.estimatedFrames, 250);
      const all = await decoder.decode({
        bytes: readFileSync(join(dir, 'long.mp4')),
        extension: 'mp4',
        size: 32,
        crop: 32,
        threads: 1,
        maxFrames: 100,
      });
      assert.equal(all.frames.length, 100);
      assert.deepEqual(all.frames.slice(0, 10), r.frames.slice(0, 10));
    } finally {
      decoder.close();
    }
  });

  it("a broken video rejects with ffmpeg's last stderr line (no temp path in it)", async () => {
    const decoder = new VideoFrameDecoder();
    try {
      await assert.rejects(
        decoder.decode({
          bytes: Buffer.from('this is not a video at all'),
          extension: 'mp4',
          size: 32,
          crop: 32,
          threads: 1,
        }),
        (e: Error) => {
          assert.equal(e.name, 'VideoDecodeFailure');
          assert.match(e.message, /ffmpeg exited with code \d+: input: Invalid data found when processing input/);
          return true;
        },
      );
      const half = readFileSync(join(dir, 'v.avi')).subarray(0, 300);
      await assert.rejects(
        decoder.decode({ bytes: half, extension: 'avi', size: 32, crop: 32, threads: 1 }),
        /ffmpeg (exited|decoded no frame)/,
      );
    } finally {
      decoder.close();
    }
  });

  it('abort kills the process and rejects with AbortError; close removes the temp folder; nothing is left', async () => {
    const decoder = new VideoFrameDecoder();
    const controller = new AbortController();
    const bytes = readFileSync(join(dir, 'long.mp4'));
    const running = decoder.decode({
      bytes,
      extension: 'mp4',
      size: 256,
      crop: 256,
      threads: 1,
      signal: controller.signal,
    });
    for (let i = 0; i < 5000 && ffmpegChildren().length === 0; i++) await new Promise((r) => setTimeout(r, 1));
    assert.equal(ffmpegChildren().length, 1, 'ffmpeg is running when we abort');
    assert.equal(videoTempDirs().length, 1);
    controller.abort();
    await assert.rejects(running, { name: 'AbortError' });
    decoder.close();
    await untilNoFfmpegChildren();
    assert.deepEqual(ffmpegChildren(), []);
    assert.deepEqual(launcherProcesses(), []);
    assert.deepEqual(videoTempDirs(), []);
    await assert.rejects(decoder.decode({ bytes, extension: 'mp4', size: 32, crop: 32, threads: 1 }), {
      name: 'AbortError',
    });
    assert.ok(
      existsSync(tmpdir()) && readdirSync(tmpdir()).every((d) => !d.startsWith(`ndaflow-video-${process.pid}-`)),
    );
  });
});

describe('VideoFrameDecoder launchers', () => {
  const dir = tempDir();
  before(() => {
    makeTestVideo(join(dir, 'v.mp4'), { frames: 30, fps: 25, width: 96, height: 64 });
    makeTestVideo(join(dir, 'v.mkv'), { frames: 20, fps: 25, width: 64, height: 48 });
    makeTestVideo(join(dir, 'long.mp4'), { frames: 250, fps: 25, width: 64, height: 48 });
  });

  it("'shell' (helper + FIFOs) and 'direct' (spawn) give the same frames, many decodes at once reusing FIFO slots", async () => {
    const shell = new VideoFrameDecoder(undefined, { launch: 'shell' });
    const direct = new VideoFrameDecoder(undefined, { launch: 'direct' });
    try {
      const inputs = Array.from({ length: 12 }, (_, i) => (i % 2 ? 'mkv' : 'mp4'));
      const request = (ext: string, i: number) => ({
        bytes: readFileSync(join(dir, `v.${ext}`)),
        extension: ext,
        size: 32 + (i % 3) * 8,
        crop: 32,
        threads: 1,
      });
      // 4 at once, 3 rounds: slots are made, then reused once their process is done
      const viaShell = [];
      for (let round = 0; round < 3; round++)
        viaShell.push(
          ...(await Promise.all(inputs.slice(round * 4, round * 4 + 4).map((e, i) => shell.decode(request(e, i))))),
        );
      const viaDirect = await Promise.all(inputs.map((e, i) => direct.decode(request(e, i % 4))));
      assert.deepEqual(
        viaShell.map((r) => [r.frames.length, r.ended]),
        inputs.map((e) => [e === 'mkv' ? 20 : 30, true]),
      );
      for (let i = 0; i < inputs.length; i++) assert.deepEqual(viaShell[i]?.frames, viaDirect[i]?.frames);
      const fifos = readdirSync(join(tmpdir(), videoTempDirs()[0] as string));
      assert.ok(fifos.length <= 3 * 4, `at most 4 slots of 3 FIFOs for 4 decodes at once, got ${fifos.join(' ')}`);
    } finally {
      shell.close();
      direct.close();
    }
    await untilNoFfmpegChildren();
    assert.deepEqual([ffmpegChildren(), launcherProcesses(), videoTempDirs()], [[], [], []]);
  });

  for (const launch of ['shell', 'direct'] as const)
    it(`${launch}: close while decodes run kills every process (and the helper) and removes the folder`, async () => {
      const decoder = new VideoFrameDecoder(undefined, { launch });
      const bytes = readFileSync(join(dir, 'long.mp4'));
      const running = [1, 2].map(() => decoder.decode({ bytes, extension: 'mp4', size: 256, crop: 256, threads: 1 }));
      for (let i = 0; i < 5000 && ffmpegChildren().length < 2; i++) await new Promise((r) => setTimeout(r, 1));
      assert.equal(ffmpegChildren().length, 2, 'both ffmpeg processes run');
      assert.equal(launcherProcesses().length > 0, launch === 'shell', 'a helper exists only for the shell launcher');
      decoder.close();
      await Promise.all(running.map((r) => assert.rejects(r, { name: 'AbortError' })));
      await untilNoFfmpegChildren();
      assert.deepEqual([ffmpegChildren(), launcherProcesses(), videoTempDirs()], [[], [], []]);
    });

  it('shell: an abort at any moment of a start (before the fork, before the FIFOs open, while decoding) settles it', async () => {
    const decoder = new VideoFrameDecoder(undefined, { launch: 'shell' });
    const bytes = readFileSync(join(dir, 'long.mp4'));
    try {
      for (let i = 0; i < 40; i++) {
        const controller = new AbortController();
        const running = decoder.decode({
          bytes,
          extension: 'mp4',
          size: 64,
          crop: 64,
          threads: 1,
          signal: controller.signal,
        });
        // 0-9 ms after the start, then 10 more aborts after 0-9 turns of the event loop
        if (i < 30) await new Promise((r) => setTimeout(r, i % 10));
        else for (let t = 0; t < i - 30; t++) await new Promise((r) => setImmediate(r));
        controller.abort();
        await assert.rejects(running, { name: 'AbortError' });
      }
      // the slots are still usable
      const r = await decoder.decode({ bytes, extension: 'mp4', size: 32, crop: 32, threads: 1, maxFrames: 5 });
      assert.equal(r.frames.length, 5);
    } finally {
      decoder.close();
    }
    await untilNoFfmpegChildren();
    assert.deepEqual([ffmpegChildren(), launcherProcesses(), videoTempDirs()], [[], [], []]);
  });

  it('a missing ffmpeg binary fails the decode as "Cannot start ffmpeg", with either launcher', async () => {
    for (const launch of ['shell', 'direct'] as const) {
      const decoder = new VideoFrameDecoder(
        { ffmpeg: { path: join(dir, 'no-such-ffmpeg'), source: 'env' } },
        { launch },
      );
      try {
        await assert.rejects(
          decoder.decode({ bytes: readFileSync(join(dir, 'v.mkv')), extension: 'mkv', size: 32, crop: 32, threads: 1 }),
          (e: Error) => {
            assert.equal(e.name, 'VideoDecodeFailure');
            assert.match(e.message, /^Cannot start ffmpeg/);
            return true;
          },
          launch,
        );
      } finally {
        decoder.close();
      }
    }
  });

  it('rejects an unknown launch option', () => {
    assert.throws(
      () => new VideoFrameDecoder(undefined, { launch: 'fork' as 'shell' }),
      /Cannot create a VideoFrameDecoder as launch must be 'shell' or 'direct': current value is fork/,
    );
  });
});
