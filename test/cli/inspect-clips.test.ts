import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ShardWriter } from '../../sources/shard-writer.js';
import { makeTestVideo } from '../helpers/make-test-video.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './cli-helper.js';

interface ClipLine {
  __key__: string;
  clip: number;
  shape: number[];
  mean: number;
  padded: number;
}

function lines(stdout: string): ClipLine[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const v = JSON.parse(l) as ClipLine;
      assert.deepEqual(Object.keys(v), ['__key__', 'clip', 'shape', 'mean', 'padded']);
      return v;
    });
}

describe('ndaflow inspect --clips', () => {
  const dir = tempDir();
  let shard = '';
  before(async () => {
    makeTestVideo(join(dir, 'a.mp4'), { frames: 30, fps: 25, width: 96, height: 64 });
    makeTestVideo(join(dir, 'b.webm'), { frames: 20, fps: 25, width: 64, height: 64, pattern: 'smptebars' });
    makeTestVideo(join(dir, 'short.avi'), { frames: 5, fps: 25, width: 64, height: 64 });
    const w = new ShardWriter(join(dir, 'v-%06d.tar'));
    await w.write({ __key__: 'a', mp4: readFileSync(join(dir, 'a.mp4')), cls: 1 });
    await w.write({ __key__: 'bad', mp4: Buffer.from('not a video') });
    await w.write({ __key__: 'b', webm: readFileSync(join(dir, 'b.webm')) });
    await w.write({ __key__: 'short', avi: readFileSync(join(dir, 'short.avi')) });
    [shard] = (await w.close()) as [string];
  });

  it('one JSON line per clip with shape and mean; a broken video is counted under warnAndContinue, a short one padded', async () => {
    const r = await runCli([
      'inspect',
      '--clips',
      '2',
      '--frames',
      '8',
      '--stride',
      '2',
      '--size',
      '48',
      '--crop',
      '32',
      '--handler',
      'warnAndContinue',
      shard,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const got = lines(r.stdout);
    assert.deepEqual(
      got.map((l) => [l.__key__, l.clip]),
      [
        ['a', 0],
        ['a', 1],
        ['b', 0],
        ['b', 1],
        ['short', 0],
        ['short', 1],
      ],
    );
    for (const l of got) {
      assert.deepEqual(l.shape, [8, 32, 32, 3]);
      assert.ok(l.mean > 20 && l.mean < 235, String(l.mean));
      assert.equal(l.mean, Math.round(l.mean * 1000) / 1000);
    }
    assert.notEqual(got[0]?.mean, got[2]?.mean, 'testsrc and smptebars differ');
    // 5 frames for 8 at stride 2 (frames 0, 2, 4, then the last one 5 times): only the short video's clips are padded
    assert.deepEqual(
      got.map((l) => [l.__key__, l.padded]),
      [
        ['a', 0],
        ['a', 0],
        ['b', 0],
        ['b', 0],
        ['short', 5],
        ['short', 5],
      ],
    );
    assert.equal(r.stderr.match(/were padded/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /ndaflow: inspect --clips: 2 clip\(s\) of 1 video\(s\) were padded/);
    assert.match(
      r.stderr,
      /warning \[video-decode\]: Cannot decode video: ffmpeg exited with code \d+: input: Invalid data found when processing input \(shard .*v-000000\.tar, key "bad", field "mp4"\)/,
    );
    assert.match(r.stderr, /ndaflow: accounting \{"seen":4,"yielded":3,"skipped":\{"video-decode":1\}.*"lost":0\}/);
  });

  it('reraise (the default): exit 1 with the error after the clips before it; --short skip counts the short video', async () => {
    const failed = await runCli(['inspect', '--clips', '--frames', '4', '--size', '32', shard]);
    assert.equal(failed.code, 1);
    assert.deepEqual([...new Set(lines(failed.stdout).map((l) => l.__key__))], ['a']);
    assert.match(failed.stderr, /ndaflow: error: Cannot decode video: .*key "bad", field "mp4"/);

    const skip = await runCli([
      'inspect',
      '--clips',
      '--mode',
      'random',
      '--seed',
      '3',
      '--frames',
      '8',
      '--size',
      '32',
      '--short',
      'skip',
      '--handler',
      'ignoreAndContinue',
      shard,
    ]);
    assert.equal(skip.code, 0, skip.stderr);
    assert.deepEqual(
      lines(skip.stdout).map((l) => [l.__key__, l.clip]),
      [
        ['a', 0],
        ['b', 0],
      ],
    );
    assert.match(skip.stderr, /"skipped":\{"video-decode":1,"short-video":1\}/);
  });
});
