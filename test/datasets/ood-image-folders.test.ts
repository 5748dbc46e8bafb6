import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { decode as decodePng } from 'fast-png';
import sharp from 'sharp';
import {
  convertDtd,
  convertPlaces365,
  convertTinyImagenet,
  resizeCentreCrop,
} from '../../sources/datasets/ood-image-folders.js';
import { readShard, runCli } from '../cli/cli-helper.js';
import { tempDir } from '../helpers/temp-dir.js';

type Rgb = readonly [number, number, number];
const RED: Rgb = [220, 20, 20];
const GREEN: Rgb = [20, 200, 20];
const BLUE: Rgb = [20, 20, 220];

/** Writes a w x h image (JPEG at quality 100 unless the name ends in .png) whose pixel (x, y) is `colour(x, y)`. */
async function writeImage(path: string, w: number, h: number, colour: (x: number, y: number) => Rgb): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(colour(x, y), (y * w + x) * 3);
  const image = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  writeFileSync(
    path,
    path.endsWith('.png')
      ? await image.png().toBuffer()
      : await image.jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer(),
  );
}

/** Vertical bands: red on the left quarter, green in the middle half, blue on the right quarter. */
const bands = (w: number) => (x: number) => (x < w / 4 ? RED : x < (3 * w) / 4 ? GREEN : BLUE);

function pixel(png: Buffer, x: number, y: number): number[] {
  const image = decodePng(png);
  assert.deepEqual([image.width, image.height, image.channels], [32, 32, 3]);
  const at = (y * 32 + x) * 3;
  return Array.from(image.data.slice(at, at + 3));
}

function near(actual: readonly number[], expected: Rgb, message: string): void {
  assert.ok(
    actual.every((v, i) => Math.abs(v - expected[i]!) <= 12),
    `${message}: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`,
  );
}

describe('resizeCentreCrop (torchvision Resize(32) + CenterCrop(32))', () => {
  it('scales the shorter side to 32 and crops the centre of the longer: 96x64 -> 48x32 -> columns 8..39', async () => {
    const file = join(tempDir(), 'wide.png');
    await writeImage(file, 96, 64, bands(96));
    // after the resize: red x < 12, green 12..35, blue >= 36; the crop starts at x 8
    const out = await resizeCentreCrop(file, 32);
    const at = (x: number, y: number) => Array.from(out.slice((y * 32 + x) * 3, (y * 32 + x) * 3 + 3));
    near(at(1, 16), RED, 'x 1 is resized x 9');
    near(at(16, 5), GREEN, 'x 16 is resized x 24');
    near(at(30, 30), BLUE, 'x 30 is resized x 38');
    // a crop at x 0 (no centring) would give 12 red columns, one at x 16 (the whole width) 8 green ones
    near(at(5, 16), GREEN, 'x 5 is resized x 13, past the red band');
  });

  it("crops at Python's round((h - 32) / 2): 32x33 from row 0 (0.5 rounds to even), 32x35 from row 2", async () => {
    const dir = tempDir();
    const rows = (y: number): Rgb => (y === 0 ? RED : y === 1 ? GREEN : y === 2 ? BLUE : [128, 128, 128]);
    await writeImage(join(dir, 'a.png'), 32, 33, (_x, y) => rows(y));
    await writeImage(join(dir, 'b.png'), 32, 35, (_x, y) => rows(y));
    const first = (out: Uint8Array) => Array.from(out.slice(0, 3));
    assert.deepEqual(first(await resizeCentreCrop(join(dir, 'a.png'), 32)), [...RED], 'round(0.5) = 0');
    assert.deepEqual(first(await resizeCentreCrop(join(dir, 'b.png'), 32)), [...BLUE], 'round(1.5) = 2');
  });
});

describe('convertDtd', () => {
  it('writes every image of dtd/images/<class>/ in ImageFolder order as 32 px png + cls + json', async () => {
    const root = join(tempDir(), 'dtd');
    await writeImage(join(root, 'images', 'zigzagged', 'zigzagged_0002.jpg'), 64, 96, () => BLUE);
    await writeImage(join(root, 'images', 'banded', 'banded_0010.jpg'), 96, 64, bands(96));
    await writeImage(join(root, 'images', 'banded', 'banded_0002.jpg'), 40, 40, () => GREEN);
    mkdirSync(join(root, 'labels'));
    writeFileSync(join(root, 'labels', 'train1.txt'), 'banded/banded_0002.jpg\n');
    writeFileSync(join(root, 'images', 'banded', 'notes.txt'), 'not an image');
    const out = join(tempDir(), 'shards');
    const r = await convertDtd(root, { out });
    assert.deepEqual(r.classes, ['banded', 'zigzagged']);
    assert.equal(r.splits[0]!.split, 'all');
    assert.equal(r.splits[0]!.samples, 3);
    const samples = await readShard(join(out, 'all-000000.tar'));
    assert.deepEqual(
      samples.map((s) => [s.key, s.fields.get('cls')!.toString(), JSON.parse(s.fields.get('json')!.toString()).path]),
      [
        ['all/000000', '0', 'banded/banded_0002.jpg'],
        ['all/000001', '0', 'banded/banded_0010.jpg'],
        ['all/000002', '1', 'zigzagged/zigzagged_0002.jpg'],
      ],
    );
    assert.deepEqual(JSON.parse(samples[2]!.fields.get('json')!.toString()), {
      label: 1,
      class: 'zigzagged',
      path: 'zigzagged/zigzagged_0002.jpg',
      split: 'all',
      index: 2,
    });
    near(pixel(samples[0]!.fields.get('png')!, 16, 16), GREEN, '40x40 resized to 32x32');
    near(pixel(samples[1]!.fields.get('png')!, 1, 16), RED, 'the banded image centre-cropped');
    near(pixel(samples[1]!.fields.get('png')!, 30, 16), BLUE, 'the banded image centre-cropped');
    // the images/ folder itself works too, and --limit keeps the first N
    const r2 = await convertDtd(join(root, 'images'), { out: join(tempDir(), 's'), limit: 1 });
    assert.equal(r2.splits[0]!.samples, 1);
  });

  it('refuses a folder without class folders of JPEGs', async () => {
    await assert.rejects(
      convertDtd(tempDir(), { out: join(tempDir(), 's') }),
      /Cannot convert DTD .* as it must hold images\/<class>\/\*\.jpg/,
    );
  });
});

describe('convertPlaces365', () => {
  async function places(): Promise<string> {
    const root = join(tempDir(), 'places365');
    await writeImage(join(root, 'val_256', 'Places365_val_00000001.jpg'), 64, 64, () => RED);
    await writeImage(join(root, 'val_256', 'Places365_val_00000002.jpg'), 64, 64, () => BLUE);
    return root;
  }

  it('follows places365_val.txt: its order, its labels as cls, class names from categories_places365.txt', async () => {
    const root = await places();
    writeFileSync(join(root, 'places365_val.txt'), 'Places365_val_00000002.jpg 7\nPlaces365_val_00000001.jpg 0\n');
    writeFileSync(join(root, 'categories_places365.txt'), '/a/airfield 0\n/b/bakery/shop 7\n');
    const out = join(tempDir(), 'shards');
    const r = await convertPlaces365(root, { out });
    const samples = await readShard(join(out, 'val-000000.tar'));
    assert.deepEqual(
      samples.map((s) => [s.key, s.fields.get('cls')!.toString(), JSON.parse(s.fields.get('json')!.toString()).class]),
      [
        ['val/000000', '7', '/b/bakery/shop'],
        ['val/000001', '0', '/a/airfield'],
      ],
    );
    near(pixel(samples[0]!.fields.get('png')!, 10, 10), BLUE, 'the first listed image');
    assert.equal(r.classes[7], '/b/bakery/shop');
    writeFileSync(join(root, 'places365_val.txt'), 'Places365_val_00000003.jpg 1\n');
    await assert.rejects(
      convertPlaces365(root, { out }),
      /every image places365_val\.txt lists must be in .*1 missing, e\.g\. Places365_val_00000003\.jpg/,
    );
  });

  it('without a list: the image folder sorted by name, unlabelled', async () => {
    const root = await places();
    const out = join(tempDir(), 'shards');
    const r = await convertPlaces365(join(root, 'val_256'), { out });
    assert.deepEqual(r.classes, []);
    const samples = await readShard(join(out, 'val-000000.tar'));
    assert.deepEqual(
      samples.map((s) => [s.key, s.fields.has('cls'), JSON.parse(s.fields.get('json')!.toString()).path]),
      [
        ['val/000000', false, 'Places365_val_00000001.jpg'],
        ['val/000001', false, 'Places365_val_00000002.jpg'],
      ],
    );
  });
});

describe('convertTinyImagenet', () => {
  async function tiny(): Promise<string> {
    const root = join(tempDir(), 'tiny-imagenet-200');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'wnids.txt'), 'n09999999\nn01443537\n');
    await writeImage(join(root, 'val', 'images', 'val_0.JPEG'), 64, 64, (x) => (x < 32 ? RED : BLUE));
    // a greyscale JPEG (TinyImageNet has some): read as RGB, the grey replicated
    mkdirSync(join(root, 'val', 'images'), { recursive: true });
    writeFileSync(
      join(root, 'val', 'images', 'val_1.JPEG'),
      await sharp(Buffer.alloc(64 * 64, 90), { raw: { width: 64, height: 64, channels: 1 } })
        .jpeg({ quality: 100 })
        .toBuffer(),
    );
    writeFileSync(
      join(root, 'val', 'val_annotations.txt'),
      'val_1.JPEG\tn09999999\t0\t0\t63\t63\nval_0.JPEG\tn01443537\t1\t2\t60\t61\n',
    );
    await writeImage(join(root, 'test', 'images', 'test_0.JPEG'), 64, 64, () => GREEN);
    return root;
  }

  it('val: val/images in the annotations order, cls the index among the sorted WordNet ids, 64 -> 32 px', async () => {
    const root = await tiny();
    const out = join(tempDir(), 'shards');
    const r = await convertTinyImagenet(root, { out });
    assert.deepEqual(r.classes, ['n01443537', 'n09999999']);
    const samples = await readShard(join(out, 'val-000000.tar'));
    assert.deepEqual(
      samples.map((s) => [s.key, s.fields.get('cls')!.toString(), JSON.parse(s.fields.get('json')!.toString()).path]),
      [
        ['val/000000', '1', 'val/images/val_1.JPEG'],
        ['val/000001', '0', 'val/images/val_0.JPEG'],
      ],
    );
    const grey = pixel(samples[0]!.fields.get('png')!, 16, 16);
    assert.ok(grey.every((v) => Math.abs(v - 90) <= 2) && grey[0] === grey[1] && grey[1] === grey[2], String(grey));
    near(pixel(samples[1]!.fields.get('png')!, 4, 16), RED, 'left half');
    near(pixel(samples[1]!.fields.get('png')!, 28, 16), BLUE, 'right half');
    writeFileSync(join(root, 'val', 'val_annotations.txt'), 'val_0.JPEG\tn00000000\t0\t0\t1\t1\n');
    await assert.rejects(convertTinyImagenet(root, { out }), /line 1 of .*val_annotations\.txt must be/);
  });

  it('test: test/images unlabelled; the CLI writes the shards (prepare tinyimagenet --which test)', async () => {
    const root = await tiny();
    const out = join(tempDir(), 'shards');
    const r = await runCli(['prepare', 'tinyimagenet', root, '--which', 'test', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /test: 1 samples in 1 shard/);
    const samples = await readShard(join(out, 'test-000000.tar'));
    assert.deepEqual(
      samples.map((s) => [s.key, s.fields.has('cls')]),
      [['test/000000', false]],
    );
    near(pixel(samples[0]!.fields.get('png')!, 16, 16), GREEN, 'the test image');
  });
});

describe('ndaflow prepare dtd | places365', () => {
  it('writes the shards of the official layouts', async () => {
    const dtd = join(tempDir(), 'dtd');
    await writeImage(join(dtd, 'images', 'banded', 'banded_0001.jpg'), 48, 40, () => RED);
    const out = join(tempDir(), 'dtd-shards');
    const r = await runCli(['prepare', 'dtd', dtd, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /all: 1 samples in 1 shard/);
    assert.match(r.stdout, /classes: 1: 0=banded/);
    const places = join(tempDir(), 'places365');
    await writeImage(join(places, 'val_256', 'Places365_val_00000001.jpg'), 64, 64, () => RED);
    writeFileSync(join(places, 'list.txt'), 'Places365_val_00000001.jpg 3\n');
    const out2 = join(tempDir(), 'places-shards');
    const r2 = await runCli(['prepare', 'places365', places, '--list', join(places, 'list.txt'), '--out', out2]);
    assert.equal(r2.code, 0, r2.stderr);
    const samples = await readShard(join(out2, 'val-000000.tar'));
    assert.equal(samples[0]!.fields.get('cls')!.toString(), '3');
  });
});
