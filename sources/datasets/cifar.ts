import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { checkInteger, rangeError } from '../errors.js';
import type { WritableSample } from '../shard-writer.js';
import { CONVERT_OPTION_FLAGS, type ConvertOptions, type ConvertResult, type SplitResult } from './convert-options.js';
import { encodePng } from './encode-png.js';
import { writeSplit } from './write-split.js';
import { checkOptionKeys, optionKeys } from '../option-keys.js';

const CONVERT_CIFAR_KEYS = optionKeys<CifarOptions>({
  ...CONVERT_OPTION_FLAGS,
  splits: true,
  limit: true,
  limits: true,
});

/** Which CIFAR: 10 classes, or 100 fine classes in 20 coarse ones. */
export type CifarVariant = 'cifar10' | 'cifar100';

/** A CIFAR split. */
export type CifarSplit = 'train' | 'test';

/** Options of {@link convertCifar}. */
export interface CifarOptions extends ConvertOptions {
  /** Splits to convert, in this order. @default ['train', 'test'] */
  readonly splits?: readonly CifarSplit[];
  /** Convert only the first N images of each split. @default all */
  readonly limit?: number;
  /** Per-split limits, over `limit`. */
  readonly limits?: Partial<Readonly<Record<CifarSplit, number>>>;
}

interface Layout {
  readonly title: string;
  /** Batch files per split, in canonical order (basenames). */
  readonly files: Readonly<Record<CifarSplit, readonly string[]>>;
  /** Label bytes before the 3072 pixel bytes (CIFAR-100: coarse then fine). */
  readonly labelBytes: 1 | 2;
  readonly fineNames: string;
  readonly coarseNames?: string;
  readonly classes: number;
  readonly coarseClasses?: number;
}

const LAYOUTS: Readonly<Record<CifarVariant, Layout>> = {
  cifar10: {
    title: 'CIFAR-10',
    files: {
      train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
      test: ['test_batch.bin'],
    },
    labelBytes: 1,
    fineNames: 'batches.meta.txt',
    classes: 10,
  },
  cifar100: {
    title: 'CIFAR-100',
    files: { train: ['train.bin'], test: ['test.bin'] },
    labelBytes: 2,
    fineNames: 'fine_label_names.txt',
    coarseNames: 'coarse_label_names.txt',
    classes: 100,
    coarseClasses: 20,
  },
};

const PIXELS = 32 * 32 * 3;

/** The tarball's entries as a tar-stream extractor (gunzipped when it starts with gzip's magic); `close` releases everything. */
function openTarball(file: string): { extract: tar.Extract; close: () => void; failure: () => Error | undefined } {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(2);
  let gz: boolean;
  try {
    gz = readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const bytes: Readable = gz ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw.pipe(new PassThrough());
  const extract = tar.extract();
  let failure: Error | undefined;
  raw.on('error', (e) => bytes.destroy(e));
  pipeline(bytes, extract, (err) => {
    if (err) failure = err;
  });
  const close = () => {
    for (const s of [raw, bytes, extract]) if (!s.destroyed) s.destroy();
  };
  return { extract, close, failure: () => failure };
}

function tarballError(layout: Layout, file: string, err: unknown): Error {
  if (err instanceof RangeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return rangeError(
    `read the ${layout.title} tarball ${file}`,
    `it must be a complete (gzipped) tar (${message})`,
    file,
  );
}

/** First pass: the entry names (by basename) and the contents of the label-name files. */
async function scan(layout: Layout, file: string): Promise<{ names: Map<string, string>; texts: Map<string, string> }> {
  const names = new Map<string, string>();
  const texts = new Map<string, string>();
  const wanted = new Set([layout.fineNames, layout.coarseNames].filter((x): x is string => x !== undefined));
  const { extract, close, failure } = openTarball(file);
  try {
    for await (const entry of extract as AsyncIterable<tar.Entry>) {
      const base = posix.basename(entry.header.name);
      if (entry.header.type === 'file' && !names.has(base)) names.set(base, entry.header.name);
      if (entry.header.type === 'file' && wanted.has(base)) {
        const chunks: Buffer[] = [];
        for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
        texts.set(base, Buffer.concat(chunks).toString('utf8'));
      } else entry.resume();
    }
    const f = failure();
    if (f) throw f;
  } catch (err) {
    throw tarballError(layout, file, err);
  } finally {
    close();
  }
  return { names, texts };
}

function labelNames(layout: Layout, file: string, texts: Map<string, string>, which: string, count: number): string[] {
  const text = texts.get(which);
  if (text === undefined) throw rangeError(`convert ${layout.title}`, `the tarball must contain ${which}`, file);
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (names.length !== count)
    throw rangeError(`convert ${layout.title}`, `${which} must list ${count} class names`, names.length);
  return names;
}

/** The records of one entry, read on demand (the tarball is re-read from its start). */
async function* recordsOf(layout: Layout, file: string, entryName: string): AsyncGenerator<Buffer> {
  const size = layout.labelBytes + PIXELS;
  const { extract, close, failure } = openTarball(file);
  try {
    for await (const entry of extract as AsyncIterable<tar.Entry>) {
      if (entry.header.name !== entryName) {
        entry.resume();
        continue;
      }
      let rest: Buffer = Buffer.alloc(0);
      let records = 0;
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        const buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
        let off = 0;
        while (buf.length - off >= size) {
          yield buf.subarray(off, off + size);
          off += size;
          records++;
        }
        rest = Buffer.from(buf.subarray(off));
      }
      if (rest.length > 0) {
        throw rangeError(
          `read ${entryName} in ${file}`,
          `its size must be a multiple of the ${size}-byte ${layout.title} record (it ends ${rest.length} bytes into record ${records})`,
          records * size + rest.length,
        );
      }
      return;
    }
    const f = failure();
    if (f) throw f;
    throw rangeError(`read the ${layout.title} tarball ${file}`, `it must contain ${entryName}`, file);
  } catch (err) {
    throw tarballError(layout, file, err);
  } finally {
    close();
  }
}

/** Planar R, G, B (1024 bytes each) -> interleaved HWC RGB. */
function planarToHwc(planar: Uint8Array): Uint8Array {
  const out = new Uint8Array(PIXELS);
  for (let p = 0; p < 1024; p++) {
    out[p * 3] = planar[p] as number;
    out[p * 3 + 1] = planar[1024 + p] as number;
    out[p * 3 + 2] = planar[2048 + p] as number;
  }
  return out;
}

/**
 * Converts a CIFAR-10 or CIFAR-100 BINARY tarball (`cifar-10-binary.tar.gz`,
 * `cifar-100-binary.tar.gz`, as published) into WebDataset shards `<out>/train-%06d.tar` and
 * `<out>/test-%06d.tar`: per image a 32x32 RGB `png` (the planar R, G, B records turned into
 * HWC), the (fine) label as `cls` and a `json` (`{"label", "class", "index", "split"}`, plus
 * `coarse_label` and `coarse_class` for CIFAR-100), under the key `train/000123` (index in the
 * split). CIFAR-10's five training batches are written in order 1..5 whatever their order in the
 * tarball (it is read once per batch file, streaming; nothing is held in memory).
 *
 * @example await convertCifar('cifar10', 'cifar-10-binary.tar.gz', { out: 'shards/cifar10' })
 * @throws RangeError naming the file for a tarball that is not a (gzipped) tar or is cut short,
 *   a missing batch or label-names file, a batch whose size is not a whole number of records,
 *   or a label out of range. Deterministic.
 */
export async function convertCifar(variant: CifarVariant, file: string, options: CifarOptions): Promise<ConvertResult> {
  checkOptionKeys('convertCifar', options, CONVERT_CIFAR_KEYS);
  const layout = LAYOUTS[variant];
  if (!layout) throw rangeError('convert CIFAR', 'the variant must be cifar10 or cifar100', variant);
  const splits = options.splits ?? ['train', 'test'];
  for (const s of splits)
    if (s !== 'train' && s !== 'test')
      throw rangeError(`convert ${layout.title}`, 'every split must be train or test', s);
  if (options.limit !== undefined) checkInteger(`convert ${layout.title}`, 'limit', options.limit, 0);
  const { names, texts } = await scan(layout, file);
  const fine = labelNames(layout, file, texts, layout.fineNames, layout.classes);
  const coarse = layout.coarseNames
    ? labelNames(layout, file, texts, layout.coarseNames, layout.coarseClasses as number)
    : undefined;
  for (const split of splits) {
    for (const f of layout.files[split]) {
      if (!names.has(f))
        throw rangeError(
          `convert ${layout.title}`,
          `the tarball must contain ${f} (found: ${[...names.keys()].join(', ') || 'no files'})`,
          file,
        );
    }
  }

  async function* samplesOf(split: CifarSplit, limit: number): AsyncGenerator<WritableSample> {
    let index = 0;
    for (const f of layout.files[split]) {
      if (index >= limit) return;
      const entryName = names.get(f) as string;
      let record = 0;
      for await (const r of recordsOf(layout, file, entryName)) {
        if (index >= limit) return;
        const label = r[layout.labelBytes - 1] as number;
        if (label >= layout.classes)
          throw rangeError(
            `read record ${record} of ${entryName} in ${file}`,
            `its label must be in [0, ${layout.classes - 1}]`,
            label,
          );
        const json: Record<string, unknown> = { label, class: fine[label] };
        if (coarse) {
          const c = r[0] as number;
          if (c >= coarse.length)
            throw rangeError(
              `read record ${record} of ${entryName} in ${file}`,
              `its coarse label must be in [0, ${coarse.length - 1}]`,
              c,
            );
          json.coarse_label = c;
          json.coarse_class = coarse[c];
        }
        json.index = index;
        json.split = split;
        yield {
          __key__: `${split}/${String(index).padStart(6, '0')}`,
          png: encodePng(planarToHwc(r.subarray(layout.labelBytes)), 32, 32, 3),
          cls: label,
          json,
        };
        index++;
        record++;
      }
    }
  }

  const results: SplitResult[] = [];
  let done = 0;
  for (const split of splits) {
    const limit = options.limits?.[split] ?? options.limit ?? Infinity;
    if (limit !== Infinity) checkInteger(`convert ${layout.title}`, `${split} limit`, limit, 0);
    const r = await writeSplit(split, samplesOf(split, limit), options, done);
    done += r.samples;
    results.push(r);
  }
  return { splits: results };
}
