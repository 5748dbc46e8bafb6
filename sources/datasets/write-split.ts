import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { checkInteger, rangeError } from '../errors.js';
import { ShardWriter, encodeField, partialShardName, type WritableSample } from '../shard-writer.js';
import type { ConvertOptions, PreparePart, ShardInfo, SplitResult } from './convert-options.js';

/**
 * A sample whose bytes are read only when its shard is written by this part (see
 * {@link ConvertOptions.part}): its key, its exact entry-data size (the sum of its encoded fields,
 * as {@link ShardWriter} counts it) and a loader. A loaded sample of another size is an error (the
 * file changed while preparing).
 */
export class DeferredSample {
  constructor(
    readonly key: string,
    readonly size: number,
    readonly load: () => Promise<WritableSample>,
  ) {}
}

/** Entry-data bytes of a sample as {@link ShardWriter} counts them (to cut shards at the same places). */
export function sampleSize(sample: WritableSample): number {
  let size = 0;
  for (const [field, value] of Object.entries(sample))
    if (!field.startsWith('__')) size += encodeField(field, value).length;
  return size;
}

/** Checks a part option: an index in [0, count). */
export function checkPart(action: string, part: PreparePart | undefined): PreparePart {
  if (part === undefined) return { index: 0, count: 1 };
  const count = checkInteger(action, 'part count', part.count, 1);
  const index = checkInteger(action, 'part index', part.index, 0, count - 1);
  return { index, count };
}

/**
 * Checks that shards can be written to `out` (creating it), before a converter reads its input.
 * @throws Error of one line naming the folder and the reason (`EACCES`, `ENOTDIR`, ...).
 */
export async function checkOutputFolder(out: string): Promise<void> {
  try {
    await mkdir(out, { recursive: true });
    await access(out, constants.W_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`Cannot write shards to ${out} as ${e.code ?? 'it'} (${e.message})`, { cause: err });
  }
}

/**
 * Writes the samples of one split to `<out>/<split>-%06d.tar` (then `.tar.gz` with `gzip`), in the
 * order given, and reports the shards. Every shard appears under its final name only once complete
 * (`ShardWriter` writes `<name>.partial`, renamed at the end; the gzip of a shard likewise); on an
 * error or an abort (`options.signal`) the partial shard is removed, the complete ones stay (each was
 * reported to `options.onShard`) and the error is thrown. Gzip runs at level 9 with a zero mtime: the
 * `.tar` bytes are reproducible everywhere, the `.tar.gz` bytes with the same zlib (Node version).
 * With `part`, only the shards of that part are written (the shard cuts are computed from every
 * sample's size, so they fall where a single run puts them) and {@link DeferredSample}s of other parts
 * are never loaded; `samples` counts what this part wrote.
 */
export async function writeSplit(
  split: string,
  samples: Iterable<WritableSample | DeferredSample> | AsyncIterable<WritableSample | DeferredSample>,
  options: ConvertOptions,
  progressBase = 0,
): Promise<SplitResult> {
  const part = checkPart(`write split ${split}`, options.part);
  options.signal?.throwIfAborted();
  await checkOutputFolder(options.out);
  const pattern = join(options.out, `${split}-%06d.tar`);
  const maxSamples = options.maxSamples ?? 10_000;
  const maxBytes = options.maxBytes ?? 1e9;
  // validates the limits and the pattern once, for every part
  const probe = new ShardWriter(pattern, { maxSamples, maxBytes });
  let count = 0;
  const paths: string[] = [];
  /** The shard being cut (index, samples, bytes), as ShardWriter cuts them. */
  let shard = -1;
  let inShard = 0;
  let bytes = 0;
  let writer: ShardWriter | undefined;
  const closeWriter = async () => {
    if (writer === undefined) return;
    const done = await writer.close();
    writer = undefined;
    paths.push(...done);
    // plain shards are reported as they complete; gzipped ones once gzipped, below
    if (!options.gzip) for (const path of done) options.onShard?.({ path, bytes: (await stat(path)).size });
  };
  try {
    for await (const item of samples) {
      options.signal?.throwIfAborted();
      const size = item instanceof DeferredSample ? item.size : sampleSize(item);
      if (shard < 0 || inShard >= maxSamples || (inShard > 0 && bytes + size > maxBytes)) {
        await closeWriter();
        shard++;
        inShard = 0;
        bytes = 0;
        if (shard % part.count === part.index)
          writer = new ShardWriter(pattern, {
            startIndex: shard,
            maxSamples: Number.MAX_SAFE_INTEGER,
            maxBytes: Number.MAX_SAFE_INTEGER,
          });
      }
      inShard++;
      bytes += size;
      if (!writer) continue;
      let sample: WritableSample;
      if (item instanceof DeferredSample) {
        sample = await item.load();
        const loaded = sampleSize(sample);
        if (loaded !== item.size)
          throw rangeError(
            `write sample ${item.key} of split ${split}`,
            `its size must stay the ${item.size} bytes listed (did a file change while preparing?)`,
            loaded,
          );
      } else sample = item;
      await writer.write(sample);
      count++;
      options.onProgress?.(progressBase + count);
    }
    await closeWriter();
  } catch (err) {
    // the shard being written is removed; the complete ones stay (each reported to onShard)
    await writer?.abort();
    writer = undefined;
    throw err;
  } finally {
    await probe.close();
  }
  const shards: ShardInfo[] = [];
  for (const path of paths) {
    let final = path;
    if (options.gzip) {
      options.signal?.throwIfAborted();
      final = `${path}.gz`;
      const partial = partialShardName(final);
      try {
        await pipeline(createReadStream(path), createGzip({ level: 9 }), createWriteStream(partial), {
          ...(options.signal ? { signal: options.signal } : {}),
        });
        await rename(partial, final);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
      await unlink(path);
    }
    const info = { path: final, bytes: (await stat(final)).size };
    shards.push(info);
    if (options.gzip) options.onShard?.(info);
  }
  const written = new Set(shards.map((s) => basename(s.path)));
  const looksLikeShard = new RegExp(`^${split.replace(/[^A-Za-z0-9]/g, '\\$&')}-(\\d{6})\\.(tar|tar\\.gz|tgz)$`);
  const dir = paths[0] ? dirname(paths[0]) : options.out;
  let stale: string[] = [];
  try {
    stale = (await readdir(dir))
      .filter((f) => {
        const m = looksLikeShard.exec(f);
        // other parts' shards are not stale: only this part's indices are checked
        return m !== null && !written.has(f) && Number(m[1]) % part.count === part.index;
      })
      .sort()
      .map((f) => join(dir, f));
  } catch {
    // no folder: nothing written, nothing stale
  }
  return { split, samples: count, shards, stale };
}
