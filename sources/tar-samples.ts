/**
 * Tar bytes -> WebDataset samples, exactly as Python's `webdataset` groups them: a sample is a run
 * of adjacent regular entries with the same key; key and field split by
 * `^((?:.*\/|)[^.]+)[.]([^/]*)$`; fields lower-cased; a repeated field inside one sample is an error;
 * top-level `__x__` entries (and `__x__/` folders) and non-regular entries are skipped.
 */
import type { Readable } from 'node:stream';
import { SampleError, ShardError } from './errors.js';
import { TarFormatError, TarParser, type TarEnd } from './tar-parser.js';

const KEY_FIELD = /^((?:.*\/|)[^.]+)[.]([^/]*)$/;
const META_ENTRY = /^__[^/]*__($|\/)/;

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
 * Reads a tar byte stream and yields its samples in order with their index in the shard. A sample is
 * yielded as soon as the header of the next key is read: the data of the next sample is not read
 * before the consumer asks for it. A duplicate field (or a field named `__key__`/`__url__`) yields a
 * `bad` item for that sample (the whole key is dropped) and reading goes on; a broken shard (cut
 * short, not a tar, empty, unreadable) throws a {@link ShardError} after yielding the sample it cut
 * as `bad` (a cut inside a header, or at an entry boundary, counts the sample before it as cut: it
 * may miss fields). Returning early destroys the byte stream.
 */
export async function* readTarSamples(
  bytes: Readable,
  url: string,
  counters?: ReadCounters,
): AsyncGenerator<ShardItem, void, undefined> {
  const parser = new TarParser();
  let index = 0;
  let key: string | undefined;
  let fields = new Map<string, Buffer>();
  let duplicate: SampleError | undefined;
  /** The field of the entry being read, or undefined when that entry is skipped. */
  let field: string | undefined;

  const finish = (): ShardItem => {
    const item: ShardItem = duplicate
      ? { kind: 'bad', index, key: key as string, error: duplicate }
      : { kind: 'sample', index, key: key as string, fields };
    index++;
    key = undefined;
    fields = new Map();
    duplicate = undefined;
    return item;
  };

  let failure: ShardError | undefined;
  try {
    reading: for await (const chunk of bytes as AsyncIterable<Buffer>) {
      for (const event of parser.feed(chunk)) {
        if (event.kind === 'start') {
          const name = event.name;
          const kf = META_ENTRY.test(name) ? null : splitKeyField(name);
          field = kf?.field;
          if (kf && kf.key !== key) {
            if (key !== undefined) yield finish();
            key = kf.key;
          }
          continue;
        }
        if (field === undefined) continue;
        if (counters) {
          counters.entries++;
          counters.bytes += event.data.length;
        }
        if (fields.has(field) || field === '__key__' || field === '__url__') {
          duplicate ??= new SampleError(
            'duplicate-field',
            `Cannot read sample as field ${JSON.stringify(field)} appears twice`,
            { url, key, field },
          );
          continue;
        }
        fields.set(field, event.data);
      }
      if (parser.done) break reading;
    }
    const end = parser.finish();
    if (end !== 'complete')
      failure =
        end === 'too-short'
          ? shardError(new TarFormatError('not-a-tar', 'shorter than one tar header'), url, key, parser.magic)
          : endError(end, url, key);
  } catch (err) {
    failure = shardError(err, url, key, parser.magic);
  } finally {
    if (!bytes.destroyed) bytes.destroy();
  }
  if (failure) {
    if (key !== undefined) {
      const bad: ShardItem = { kind: 'bad', index, key, error: failure };
      index++;
      key = undefined;
      yield bad;
    }
    throw failure;
  }
  if (key !== undefined) yield finish();
}

function endError(end: Exclude<TarEnd, 'complete'>, url: string, key: string | undefined): ShardError {
  switch (end) {
    case 'empty':
      return new ShardError('empty-shard', 'Cannot read shard as it is empty (0 bytes)', { url });
    case 'too-short':
      return new ShardError('not-a-tar', 'Cannot read shard as it is not a tar file (shorter than one tar header)', {
        url,
        key,
      });
    case 'no-end-marker':
      return new ShardError(
        'truncated-shard',
        'Cannot read shard as it ends without the end-of-archive marker (cut short?)',
        { url, key },
      );
    case 'mid-header':
      return new ShardError('truncated-shard', 'Cannot read shard as it ends in the middle of a header', { url, key });
    case 'mid-entry':
      return new ShardError('truncated-shard', 'Cannot read shard as it ends in the middle of an entry', { url, key });
  }
}

const COMPRESSED: readonly [RegExp, string][] = [
  [/^BZh/, 'bzip2'],
  // eslint-disable-next-line no-control-regex -- xz's magic number ends in a NUL byte
  [/^\xfd7zXZ\x00/, 'xz'],
  [/^\x28\xb5\x2f\xfd/, 'zstd'],
];

function shardError(cause: unknown, url: string, key: string | undefined, magic: Buffer): ShardError {
  if (cause instanceof ShardError) return cause;
  if (cause instanceof TarFormatError) {
    if (cause.kind === 'corrupt-header')
      return new ShardError('corrupt-shard', 'Cannot read shard as a header inside it is corrupt', { url, key }, cause);
    const compression = describeCompression(magic);
    if (compression)
      return new ShardError(
        'not-a-tar',
        `Cannot read shard as it is compressed with ${compression} (only gzip is read: decompress it, or use a pipe: shard)`,
        { url },
        cause,
      );
    return new ShardError('not-a-tar', 'Cannot read shard as it is not a tar file (nor a gzipped one)', { url }, cause);
  }
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (code === 'Z_DATA_ERROR' || /incorrect header check|invalid (block type|distance|stored block)/i.test(message)) {
    return new ShardError('not-a-tar', 'Cannot read shard as its gzip data is invalid', { url, key }, cause);
  }
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    return new ShardError('truncated-shard', 'Cannot read shard as its gzip data ends early', { url, key }, cause);
  }
  if (code === 'ENOENT')
    return new ShardError('shard-open', 'Cannot open shard as the file does not exist', { url }, cause);
  if (code === 'EISDIR') return new ShardError('shard-open', 'Cannot open shard as it is a directory', { url }, cause);
  if (code === 'EACCES' || code === 'EPERM')
    return new ShardError('shard-open', 'Cannot open shard as it is not readable', { url }, cause);
  return new ShardError('shard-read', 'Cannot read shard', { url, key }, cause);
}

/** The compression a shard's first bytes show, other than gzip (which is read). */
function describeCompression(head: Buffer): string | undefined {
  const s = head.toString('latin1', 0, Math.min(8, head.length));
  for (const [re, name] of COMPRESSED) if (re.test(s)) return name;
  return undefined;
}
