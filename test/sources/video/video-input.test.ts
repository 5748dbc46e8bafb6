import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { VideoFrameDecoder } from '../../../sources/video/video-frame-decoder.js';
import { videoInput } from '../../../sources/video/video-input.js';
import { makeTestVideo } from '../../helpers/make-test-video.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('videoInput', () => {
  const dir = tempDir();
  before(() => {
    for (const ext of ['mp4', 'mov', 'mkv'])
      makeTestVideo(join(dir, `v.${ext}`), { frames: 12, width: 48, height: 32 });
  });

  it('pipes mkv/webm/avi and an mp4 whose moov comes first; a trailing index, garbage or an unknown extension go through a file', () => {
    assert.equal(videoInput(readFileSync(join(dir, 'v.mp4')), 'mp4'), 'stdin'); // +faststart
    assert.equal(videoInput(readFileSync(join(dir, 'v.mov')), 'mov'), 'file'); // moov after mdat
    assert.equal(videoInput(readFileSync(join(dir, 'v.mov')), 'MOV'), 'file');
    assert.equal(videoInput(readFileSync(join(dir, 'v.mkv')), 'mkv'), 'stdin');
    assert.equal(videoInput(new Uint8Array(0), 'webm'), 'stdin');
    assert.equal(videoInput(new Uint8Array(0), 'avi'), 'stdin');
    assert.equal(videoInput(Buffer.from('definitely not a video'), 'mp4'), 'file');
    assert.equal(videoInput(new Uint8Array(16), 'mp4'), 'file');
    assert.equal(videoInput(readFileSync(join(dir, 'v.mp4')), 'bin'), 'file');
  });

  it('the frames through stdin are those through a file', async () => {
    const decoder = new VideoFrameDecoder();
    try {
      const bytes = readFileSync(join(dir, 'v.mp4'));
      const request = { bytes, size: 32, crop: 32, threads: 1 };
      const piped = await decoder.decode({ ...request, extension: 'mp4' });
      const filed = await decoder.decode({ ...request, extension: 'bin' });
      assert.deepEqual([piped.input, filed.input], ['stdin', 'file']);
      assert.deepEqual(
        [piped.frames.length, piped.estimatedFrames, piped.fps],
        [filed.frames.length, filed.estimatedFrames, filed.fps],
      );
      assert.deepEqual(piped.frames, filed.frames);
    } finally {
      decoder.close();
    }
  });
});
