/**
 * Writes the photo benchmark's shards: 256x256 RGB JPEG tiles cut from the real photos in Debian's
 * `opencv-doc` (several seeded crops of each photo, at a few scales), with a `cls` per source photo.
 * Reproducible: the same photos give the same shards.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ShardWriter } from '../sources/shard-writer.js';
import { Random } from '../sources/random.js';

export const OPENCV_DATA = '/usr/share/doc/opencv-doc/examples/data';

/** Writes the shards under `dir` (if not there yet) and returns their spec. */
export async function writePhotoShards(dir: string, tilesPerPhoto = 8): Promise<{ spec: string; count: number }> {
  return writeFromPhotos(dir, 'photos', 'photo-tiles', tilesPerPhoto, (path, meta, rng) => {
    const w = meta.width ?? 0;
    const h = meta.height ?? 0;
    if (Math.min(w, h) < 256) return null;
    const short = Math.min(w, h);
    const target = rng.int(256, Math.max(256, Math.min(short, 512)));
    const scale = target / short;
    const sw = Math.max(256, Math.round(w * scale));
    const sh = Math.max(256, Math.round(h * scale));
    const left = rng.int(0, sw - 256);
    const top = rng.int(0, sh - 256);
    return sharp(path).resize(sw, sh).extract({ left, top, width: 256, height: 256 });
  });
}

/**
 * Writes the RandomResizedCrop benchmark's shards: each opencv-doc photo at `perPhoto` native-like
 * sizes, the long side drawn in 300-800 px (aspect kept), JPEG quality 90. Reproducible.
 */
export async function writeVariedPhotoShards(dir: string, perPhoto = 4): Promise<{ spec: string; count: number }> {
  return writeFromPhotos(dir, 'varied', 'photo-varied', perPhoto, (path, _meta, rng) => {
    const side = rng.int(300, 800);
    return sharp(path).resize(side, side, { fit: 'inside' });
  });
}

/**
 * Writes `perPhoto` JPEGs (sRGB, quality 90) of each opencv-doc photo, cut by `cut` (null: skip the
 * photo), into shards `<prefix>-NNNN.tar` of 128 samples with a `cls` per photo; returns their spec.
 */
async function writeFromPhotos(
  dir: string,
  prefix: string,
  label: string,
  perPhoto: number,
  cut: (path: string, meta: sharp.Metadata, rng: Random) => sharp.Sharp | null,
): Promise<{ spec: string; count: number }> {
  if (!existsSync(OPENCV_DATA))
    throw new Error(`Cannot make photo shards as ${OPENCV_DATA} is missing: apt-get install opencv-doc`);
  const photos = readdirSync(OPENCV_DATA)
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  const writer = new ShardWriter(join(dir, `${prefix}-%04d.tar`), { maxSamples: 128 });
  let count = 0;
  for (const [cls, name] of photos.entries()) {
    const path = join(OPENCV_DATA, name);
    const meta = await sharp(path).metadata();
    const rng = Random.derive(0, label, name);
    for (let t = 0; t < perPhoto; t++) {
      const pipeline = cut(path, meta, rng);
      if (pipeline === null) break;
      const jpg = await pipeline.toColourspace('srgb').removeAlpha().jpeg({ quality: 90 }).toBuffer();
      await writer.write({ __key__: `${name.replace(/\.jpg$/, '').replace(/\./g, '_')}_${t}`, jpg, cls });
      count++;
    }
  }
  const shards = await writer.close();
  return {
    spec: `${join(dir, `${prefix}-`)}{${'0'.repeat(4)}..${String(shards.length - 1).padStart(4, '0')}}.tar`,
    count,
  };
}
