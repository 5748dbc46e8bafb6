import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const quickstart = fileURLToPath(new URL('../examples/quickstart.js', import.meta.url));
const ndaExample = fileURLToPath(new URL('../examples/nda-pairs.js', import.meta.url));

describe('README example (examples/quickstart.ts)', () => {
  it('runs on the embedded shards and ends with a clean accounting', () => {
    const r = spawnSync(process.execPath, [quickstart], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /first batch \[ 64, 28, 28, 1 \]/);
    assert.match(r.stdout, /state after 10 batches: \d+ bytes of JSON/);
    assert.match(r.stdout, /seen: 3000,\s+yielded: 3000,/);
    assert.match(r.stdout, /lost: 0/);
  });

  it('the NDA pairs example pairs every full batch with a negative from the mixture', () => {
    const r = spawnSync(process.execPath, [ndaExample], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /real \[ 64, 28, 28, 1 \] negative \[ 64, 28, 28, 1 \]/);
    const m = /pairs (\d+) transforms \{ (?:cutout: (\d+), jigsaw: (\d+)|jigsaw: (\d+), cutout: (\d+)) \}/.exec(
      r.stdout,
    );
    assert.ok(m, r.stdout);
    assert.equal(Number(m[1]), Math.floor(3000 / 64));
  });
});

describe('README video example (examples/video-clips.ts)', () => {
  it('decodes two clips per embedded Moving-Fashion-MNIST video, batches them with a shuffled NDA view, and loses nothing', () => {
    const example = fileURLToPath(new URL('../examples/video-clips.js', import.meta.url));
    // 400 videos, one ffmpeg each: ~80 s alone on 2 cores, several times that on a loaded machine (a hang guard, not a timing)
    const r = spawnSync(process.execPath, [example], { encoding: 'utf8', timeout: 400_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /query \[ 16, 8, 48, 48, 3 \] key \[ 16, 8, 48, 48, 3 \] shuffled \[ 16, 8, 48, 48, 3 \]/);
    assert.match(r.stdout, /batches 25\n/);
    assert.match(r.stdout, /seen: 400,\s+yielded: 400,/);
    assert.match(r.stdout, /lost: 0/);
  });
});
