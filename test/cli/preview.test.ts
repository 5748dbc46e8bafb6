import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { ShardWriter } from '../../sources/shard-writer.js';
import { tempDir } from '../helpers/temp-dir.js';
import { ROOT, readShard, runCli } from './cli-helper.js';

const T = { timeout: 60_000 };
const FMNIST = join(ROOT, 'data', 'fmnist', 'train-000000.tar.gz');

async function rawPngOf(bytes: Buffer): Promise<{ data: Buffer; channels: number }> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels };
}

async function rawPng(path: string): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('ndaflow preview', () => {
  it('writes a grid of the real images and one row per transform, small images enlarged', T, async () => {
    const out = join(tempDir(), 'grid.png');
    const r = await runCli([
      'preview',
      '--op',
      'jigsaw,stitch',
      '--count',
      '4',
      '--seed',
      '3',
      '--no-labels',
      FMNIST,
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^row 1: real png \(train\/000000, train\/000001, train\/000002, train\/000003\)$/m);
    assert.match(r.stdout, /^row 2: jigsaw/m);
    assert.match(r.stdout, /^row 3: stitch \(partners: (train\/00000[0-3](, )?){4}\)$/m);
    // 28 px images enlarged x4 (the smallest factor reaching 96 px): cells of 112 px, 2 px gutters.
    const grid = await rawPng(out);
    assert.equal(grid.width, 2 + 4 * (112 + 2));
    assert.equal(grid.height, 2 + 3 * (112 + 2));
    // The first cell is the first image, each pixel a 4 x 4 block.
    const [first] = await readShard(FMNIST);
    const image = await rawPngOf(first?.fields.get('png') as Buffer);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        for (const [dy, dx] of [
          [0, 0],
          [3, 3],
        ]) {
          const o = ((2 + 4 * y + (dy as number)) * grid.width + 2 + 4 * x + (dx as number)) * grid.channels;
          assert.equal(grid.data[o], image.data[(y * 28 + x) * image.channels], `pixel ${x},${y}`);
        }
      }
    }
    // The jigsaw row holds the same pixels as the real row, rearranged: same multiset per cell.
    const cell = (row: number, col: number): number[] => {
      const v: number[] = [];
      for (let y = 0; y < 112; y++)
        for (let x = 0; x < 112; x++)
          v.push(grid.data[((2 + row * 114 + y) * grid.width + 2 + col * 114 + x) * grid.channels] as number);
      return v;
    };
    for (let col = 0; col < 4; col++) assert.deepEqual(cell(1, col).sort(), cell(0, col).sort());
  });

  it('adds two rows of positive views with --positive, and brings photos of several sizes to one', T, async () => {
    const dir = tempDir();
    const writer = new ShardWriter(join(dir, 'photos-%03d.tar'));
    const sizes = [
      [40, 30],
      [50, 60],
      [64, 64],
    ] as const;
    for (const [i, [w, h]] of sizes.entries()) {
      const rgb = Buffer.alloc(w * h * 3);
      for (let p = 0; p < w * h; p++) rgb.set([(p * 7) % 256, (p * 13 + i * 50) % 256, (p * 3) % 256], p * 3);
      await writer.write({
        __key__: `p${i}`,
        jpg: await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
          .jpeg()
          .toBuffer(),
      });
    }
    await writer.close();
    const out = join(dir, 'grid.png');
    const r = await runCli([
      'preview',
      '--op',
      'cutout',
      '--positive',
      '--count',
      '3',
      '--no-labels',
      join(dir, 'photos-000.tar'),
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^row 2: positive view0/m);
    assert.match(r.stdout, /^row 3: positive view1/m);
    assert.match(r.stdout, /^row 4: cutout$/m);
    assert.match(r.stdout, /3 images \(40 x 30 px each\)/);
    // Every image brought to the first one's 40 x 30, enlarged x3: cells of 120 x 90.
    const grid = await rawPng(out);
    assert.equal(grid.width, 2 + 3 * (120 + 2));
    assert.equal(grid.height, 2 + 4 * (90 + 2));

    const sized = join(dir, 'sized.png');
    const s = await runCli([
      'preview',
      '--op',
      'mixup',
      '--size',
      '32',
      '--count',
      '3',
      '--cell',
      '64',
      '--no-labels',
      join(dir, 'photos-000.tar'),
      '--out',
      sized,
    ]);
    assert.equal(s.code, 0, s.stderr);
    const g = await rawPng(sized);
    assert.equal(g.width, 2 + 3 * (64 + 2));
    assert.equal(g.height, 2 + 2 * (64 + 2));
  });

  it(
    "labels each row in a column on the grid's left by default, written atomically (no temporary file left)",
    T,
    async () => {
      const dir = tempDir();
      const args = ['preview', '--op', 'jigsaw,stitch', '--count', '4', '--seed', '3', FMNIST, '--out'];
      const plain = await runCli([...args, join(dir, 'plain.png'), '--no-labels']);
      const labelled = await runCli([...args, join(dir, 'labelled.png')]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(labelled.code, 0, labelled.stderr);
      assert.deepEqual(readdirSync(dir).sort(), ['labelled.png', 'plain.png']);
      const a = await rawPng(join(dir, 'plain.png'));
      const b = await rawPng(join(dir, 'labelled.png'));
      assert.equal(b.height, a.height);
      const column = b.width - a.width;
      assert.ok(column > 20, `a label column of ${column} px`);
      // the grid itself is unchanged, shifted right by the column
      for (let y = 0; y < a.height; y += 7)
        for (let x = 0; x < a.width; x += 5)
          assert.equal(b.data[(y * b.width + column + x) * b.channels], a.data[(y * a.width + x) * a.channels]);
      // each row's band of the label column holds dark (text) pixels on the white background
      const rows = 3;
      const band = (a.height - 2) / rows;
      for (let row = 0; row < rows; row++) {
        let dark = 0;
        for (let y = Math.round(row * band); y < Math.round((row + 1) * band); y++)
          for (let x = 0; x < column; x++) if ((b.data[(y * b.width + x) * b.channels] as number) < 128) dark++;
        assert.ok(dark > 20, `row ${row + 1}'s label has ${dark} dark pixels`);
      }
      assert.match(labelled.stdout, new RegExp(`wrote .*labelled.png: ${b.width} x ${b.height} px`));
    },
  );

  it('refuses an unknown transform with the list of valid ones, before writing anything', T, async () => {
    const out = join(tempDir(), 'grid.png');
    const r = await runCli(['preview', '--op', 'jigsaw,jigsew', FMNIST, '--out', out]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /ndaflow: error: Cannot preview --op jigsew as each must be one of jigsaw, stitch, mixup, cutout, cutmix, shift, noise/,
    );
    assert.equal(existsSync(out), false);
    const bad = await runCli([
      'preview',
      '--op',
      'jigsaw',
      '--op-options',
      '{"jigsaw": {"k": 5}}',
      FMNIST,
      '--out',
      out,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /k must divide/);
    assert.equal(existsSync(out), false);
  });
});
