import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ShardWriter, type WritableSample } from '../shard-writer.js';
import type { ConvertOptions, ShardInfo, SplitResult } from './convert-options.js';

/**
 * Writes the samples of one split to `<out>/<split>-%06d.tar` (then `.tar.gz` with `gzip`), in the
 * order given, and reports the shards. The writer is closed on error too. Gzip runs at level 9
 * with a zero mtime: the `.tar` bytes are reproducible everywhere, the `.tar.gz` bytes with the
 * same zlib (Node version).
 */
export async function writeSplit(
  split: string,
  samples: Iterable<WritableSample> | AsyncIterable<WritableSample>,
  options: ConvertOptions,
  progressBase = 0,
): Promise<SplitResult> {
  const pattern = join(options.out, `${split}-%06d.tar`);
  const writer = new ShardWriter(pattern, {
    maxSamples: options.maxSamples ?? 10_000,
    maxBytes: options.maxBytes ?? 1e9,
  });
  let count = 0;
  let paths: string[];
  try {
    for await (const sample of samples) {
      await writer.write(sample);
      count++;
      options.onProgress?.(progressBase + count);
    }
  } finally {
    paths = await writer.close();
  }
  const shards: ShardInfo[] = [];
  for (const path of paths) {
    let final = path;
    if (options.gzip) {
      final = `${path}.gz`;
      await pipeline(createReadStream(path), createGzip({ level: 9 }), createWriteStream(final));
      await unlink(path);
    }
    shards.push({ path: final, bytes: (await stat(final)).size });
  }
  const written = new Set(shards.map((s) => basename(s.path)));
  const looksLikeShard = new RegExp(`^${split.replace(/[^A-Za-z0-9]/g, '\\$&')}-\\d{6}\\.(tar|tar\\.gz|tgz)$`);
  const dir = paths[0] ? dirname(paths[0]) : options.out;
  let stale: string[] = [];
  try {
    stale = (await readdir(dir))
      .filter((f) => looksLikeShard.test(f) && !written.has(f))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    // no folder: nothing written, nothing stale
  }
  return { split, samples: count, shards, stale };
}
