/**
 * Tar bytes -> WebDataset samples, exactly as Python's `webdataset` groups them: a sample is a run
 * of adjacent regular entries with the same key; key and field split by
 * `^((?:.*\/|)[^.]+)[.]([^/]*)$`; fields lower-cased; a repeated field inside one sample is an error;
 * top-level `__x__` entries (and `__x__/` folders) and non-regular entries are skipped.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import * as tar from 'tar-stream';
import { SampleError, ShardError } from './errors.js';

const KEY_FIELD = /^((?:.*\/|)[^.]+)[.]([^/]*)$/;
const META_ENTRY = /^__[^/]*__($|\/)/;
const REGULAR = new Set(['file', 'contiguous-file']);

/** Splits an entry name into key and (lower-cased) field, or null when it has no extension. */
export function splitKeyField(name: string): { key: string; field: string } | null {
  const m = KEY_FIELD.exec(name);
  if (!m) return null;
  return { key: m[1] as string, field: (m[2] as string).toLowerCase() };
}

/** Counters a reader updates as it goes: entries and bytes of entry data read. */
export interface ReadCounters {
  entries: number;
  bytes: number;
}

/** One item of a shard: a complete sample, or a sample that could not be read whole. */
export type ShardItem =
  | { readonly kind: 'sample'; readonly index: number; readonly fields: Map<string, Buffer>; readonly key: string }
  | { readonly kind: 'bad'; readonly index: number; readonly key: string; readonly error: SampleError };

/**
 * Reads a tar byte stream and yields its samples in order with their index in the shard. A
 * duplicate field yields a `bad` item for that sample (the whole key is dropped) and reading goes on;
 * a broken tar (truncated, not a tar) throws a {@link ShardError} after yielding the in-progress
 * sample as `bad`. Returning early destroys the streams.
 */
export async function* readTarSamples(bytes: Readable, url: string, counters?: ReadCounters): AsyncGenerator<ShardItem, void, undefined> {
  const extract = tar.extract();
  let streamError: Error | undefined;
  pipeline(bytes, extract, (err) => {
    if (err) streamError = err;
  });
  let index = 0;
  let key: string | undefined;
  let fields = new Map<string, Buffer>();
  let duplicate: SampleError | undefined;

  const finish = (): ShardItem | undefined => {
    if (key === undefined) return undefined;
    const item: ShardItem = duplicate
      ? { kind: 'bad', index, key, error: duplicate }
      : { kind: 'sample', index, key, fields };
    index++;
    key = undefined;
    fields = new Map();
    duplicate = undefined;
    return item;
  };

  try {
    for await (const entry of extract as AsyncIterable<tar.Entry>) {
      const header = entry.header;
      if (!REGULAR.has(header.type ?? 'file') || META_ENTRY.test(header.name)) {
        entry.resume();
        continue;
      }
      const kf = splitKeyField(header.name);
      if (!kf) {
        entry.resume();
        continue;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
      }
      if (counters) {
        counters.entries++;
        counters.bytes += size;
      }
      if (kf.key !== key) {
        const done = finish();
        if (done) yield done;
        key = kf.key;
      }
      if (fields.has(kf.field)) {
        duplicate ??= new SampleError('duplicate-field', `Cannot read sample as field ${JSON.stringify(kf.field)} appears twice`, { url, key: kf.key, field: kf.field });
        continue;
      }
      fields.set(kf.field, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    }
    if (streamError) throw streamError;
  } catch (err) {
    const cause = streamError ?? err;
    const broken = shardError(cause, url, key);
    if (key !== undefined) {
      yield { kind: 'bad', index, key, error: broken };
      index++;
      key = undefined;
    }
    throw broken;
  } finally {
    if (!extract.destroyed) extract.destroy();
    if (!bytes.destroyed) bytes.destroy();
  }
  const last = finish();
  if (last) yield last;
}

function shardError(cause: unknown, url: string, key: string | undefined): ShardError {
  if (cause instanceof ShardError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/Unexpected end of data|unexpected end of file/i.test(message)) {
    return new ShardError('truncated-shard', 'Cannot read shard as it ends in the middle of an entry', { url, key }, cause);
  }
  if (/Invalid tar header|incorrect header check/i.test(message)) {
    return new ShardError('not-a-tar', 'Cannot read shard as it is not a tar file (nor a gzipped one)', { url, key }, cause);
  }
  if ((cause as NodeJS.ErrnoException)?.code === 'ENOENT') {
    return new ShardError('shard-open', 'Cannot open shard as the file does not exist', { url }, cause);
  }
  return new ShardError('shard-read', 'Cannot read shard', { url, key }, cause);
}
