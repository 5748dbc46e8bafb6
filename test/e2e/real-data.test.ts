/**
 * End-to-end on real data (slow: run with `npm run test:e2e`, which sets NDAFLOW_E2E=1): the whole
 * Fashion-MNIST (70,000 images) converted by the CLI, read back through decode + batch with an
 * exact accounting; and real photos from Debian's opencv-doc as class folders -> shards -> decode
 * with the fused random crop + flip.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLoader } from '../../sources/loader.js';
import { fromShards } from '../../sources/from-shards.js';
import { decode } from '../../operators/decode.js';
import { batch } from '../../operators/batch.js';
import type { ImageBatch } from '../../sources/sample.js';
import { tempDir } from '../helpers/temp-dir.js';

const E2E = process.env.NDAFLOW_E2E === '1';
const FMNIST = '/usr/share/datasets/fashion-mnist';
const OPENCV = '/usr/share/doc/opencv-doc/examples/data';
const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/**
 * Each test's own skip reason (not the suite's: a skipped suite is not counted in the runner's
 * `# skipped` summary, so the tests would vanish from it).
 */
const skipUnless = (path: string, pkg: string): string | false =>
  !E2E
    ? 'set NDAFLOW_E2E=1 (npm run test:e2e; .ci/run runs it)'
    : existsSync(path)
      ? false
      : `${path} missing (apt-get install ${pkg})`;

describe('end to end on real data', () => {
  it(
    'the whole Fashion-MNIST: prepare with the CLI, stream back through decode + batch, nothing lost',
    { skip: skipUnless(FMNIST, 'dataset-fashion-mnist') },
    async () => {
      const out = tempDir();
      const r = spawnSync(
        process.execPath,
        [CLI, 'prepare', 'fashion-mnist', '--root', FMNIST, '--out', out, '--max-samples', '10000'],
        { encoding: 'utf8' },
      );
      assert.equal(r.status, 0, r.stderr);
      const shards = readdirSync(out).filter((f) => f.endsWith('.tar'));
      assert.equal(shards.filter((f) => f.startsWith('train-')).length, 6);
      for (const [split, count] of [
        ['train', 60_000],
        ['test', 10_000],
      ] as const) {
        const spec = shards.filter((f) => f.startsWith(`${split}-`)).map((f) => join(out, f));
        const it = createLoader(
          fromShards(spec, { seed: 3, shuffle: 5000 }),
          decode({ image: 'gray' }),
          batch(256),
        ).iterate();
        const labels = new Array<number>(10).fill(0);
        let images = 0;
        for await (const b of it) {
          const px = b.png as ImageBatch;
          assert.deepEqual(px.shape.slice(1), [28, 28, 1]);
          images += px.shape[0];
          for (const l of b.cls as Float64Array) labels[l] = (labels[l] ?? 0) + 1;
        }
        assert.equal(images, count);
        assert.deepEqual(labels, new Array(10).fill(count / 10), 'Fashion-MNIST is balanced: each class is a tenth');
        const acc = it.accounting();
        assert.equal(acc.yielded, count);
        assert.equal(acc.lost, 0);
        assert.deepEqual(acc.skipped, {});
      }
    },
  );

  it(
    'real photos: class folders -> shards -> decode with a fused 224 crop and flip',
    { skip: skipUnless(OPENCV, 'opencv-doc') },
    async () => {
      const root = tempDir();
      const folders = join(root, 'photos');
      for (const [cls, prefix] of [
        ['calib', 'left'],
        ['scenes', 'a'],
      ] as const) {
        mkdirSync(join(folders, cls), { recursive: true });
        for (const f of readdirSync(OPENCV).filter((n) => n.endsWith('.jpg') && n.startsWith(prefix)))
          cpSync(join(OPENCV, f), join(folders, cls, f));
      }
      const out = join(root, 'shards');
      const r = spawnSync(process.execPath, [CLI, 'prepare', 'folder', folders, '--out', out], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const spec = readdirSync(out)
        .filter((f) => f.endsWith('.tar'))
        .map((f) => join(out, f));
      const it = createLoader(
        fromShards(spec, { seed: 1 }),
        decode({ image: 'rgb', randomCrop: { size: 224, seed: 2 }, randomFlip: { seed: 3 } }),
        batch(4),
      ).iterate();
      let n = 0;
      for await (const b of it) {
        const px = b.jpg as ImageBatch;
        assert.deepEqual(px.shape.slice(1), [224, 224, 3]);
        n += px.shape[0];
      }
      const acc = it.accounting();
      assert.ok(n >= 15, `read ${n} photos`);
      assert.equal(acc.yielded, n);
      assert.equal(acc.lost, 0);
    },
  );
});
