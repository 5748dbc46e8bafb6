import { createReadStream } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ShardError } from './errors.js';
import { httpShardStream, type HttpOptions } from './http-shard.js';
import { isObjectStoreUrl, objectShardStream } from './object-store.js';
import { cachedShardStream, type ShardCacheEvent } from './shard-cache.js';

/** How shards are opened. */
export interface OpenShardOptions {
  /** Allow `pipe:CMD` shards, which run a shell command. @default false */
  readonly allowPipe?: boolean;
  /** Read size for local files in bytes (1 MiB parses ~3x faster than the 64 KiB default). @default 1048576 */
  readonly readSize?: number;
  /** HTTP retry options. */
  readonly http?: HttpOptions;
  /**
   * A folder on this node's local disk where remote shards (`http(s)://`, `s3://`, `gs://`) are kept
   * between epochs and shared by the processes of the node, under {@link cacheLimit} bytes, least
   * recently used evicted first (see `cachedShardStream` for the locking). @default none: no cache
   */
  readonly cacheDir?: string;
  /** Most bytes the cache keeps; a shard larger than this is streamed uncached (and reported). @default 10 GiB */
  readonly cacheLimit?: number;
  /** Receives what the cache does (hits, downloads, evictions, shards streamed uncached and why). @default none */
  readonly onCacheEvent?: (event: ShardCacheEvent) => void;
}

/** The cache limit when none is given: 10 GiB. */
export const DEFAULT_CACHE_LIMIT = 10 * 2 ** 30;

const GZ = /\.(tgz|tar\.gz|gz)$/i;

/** The local path of a `file:` URL (`file:///abs`, `file:/abs`, `file:relative`) or a plain path. */
export function shardPath(url: string): string {
  if (!url.startsWith('file:')) return url;
  if (url.startsWith('file://')) return fileURLToPath(url);
  return decodeURIComponent(url.slice(5));
}

/**
 * Opens a shard URL as a byte stream of tar data: a local path, `file:` URL, `http(s)://` URL (with
 * resuming retries), `s3://` or `gs://` object (through the provider's SDK, same resuming retries; these
 * three through the local shard cache when `cacheDir` is set) or `pipe:CMD` (only with `allowPipe`, else it throws a {@link ShardError} with
 * reason `pipe-refused`). Gzipped shards (`.tar.gz`, `.tgz`, or gzip magic bytes) are decompressed.
 * Every other error (missing file, HTTP failure, failing command) comes out of the stream; the
 * stream reads only as fast as it is consumed, and destroying it releases the file, socket or process.
 */
export function openShard(url: string, options: OpenShardOptions = {}): Readable {
  const readSize = options.readSize ?? 1 << 20;
  let raw: Readable;
  if (url.startsWith('pipe:')) {
    if (!options.allowPipe) {
      throw new ShardError(
        'pipe-refused',
        'Cannot open shard as pipe: shards run a shell command and are off unless allowPipe is set (--allow-pipe)',
        { url },
      );
    }
    raw = pipeStream(url.slice(5), url);
  } else if (/^https?:\/\//i.test(url) || isObjectStoreUrl(url)) {
    const fetch = () =>
      isObjectStoreUrl(url) ? objectShardStream(url, options.http) : httpShardStream(url, options.http);
    raw =
      options.cacheDir === undefined
        ? fetch()
        : cachedShardStream(url, fetch, {
            dir: options.cacheDir,
            limit: options.cacheLimit ?? DEFAULT_CACHE_LIMIT,
            onEvent: options.onCacheEvent,
          });
  } else {
    let path: string;
    try {
      path = shardPath(url);
    } catch (err) {
      const failed = new PassThrough();
      failed.destroy(
        new ShardError('shard-open', 'Cannot open shard as its file: URL is not a local path', { url }, err),
      );
      return failed;
    }
    raw = createReadStream(path, { highWaterMark: readSize });
  }
  return maybeGunzip(raw, GZ.test(url.replace(/[?#].*$/, '')));
}

function pipeStream(command: string, url: string): Readable {
  // a process group of its own, so that closing the stream ends the whole command line
  const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let stderr = '';
  let exited = false;
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString();
  });
  child.stdout.pipe(out, { end: false });
  child.on('error', (err) => out.destroy(new ShardError('shard-open', 'Cannot run pipe: command', { url }, err)));
  child.on('exit', () => {
    exited = true;
  });
  child.on('close', (code, signal) => {
    exited = true;
    if (out.destroyed) return;
    if (code === 0) out.end();
    else
      out.destroy(
        new ShardError(
          'shard-open',
          `Cannot read pipe: shard as the command exited with ${code ?? signal}${stderr ? `: ${stderr.trim()}` : ''}`,
          { url },
        ),
      );
  });
  out.on('close', () => {
    child.stdout.destroy();
    child.stderr.destroy();
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }
  });
  return out;
}

/** Passes bytes through, inserting a gunzip when the name says so or the first bytes are gzip's magic. */
function maybeGunzip(raw: Readable, byName: boolean): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let decided = false;
  let target: NodeJS.WritableStream = out;
  const onError = (err: Error) => {
    if (!out.destroyed) out.destroy(err);
  };
  raw.on('error', onError);
  raw.on('data', (chunk: Buffer) => {
    if (out.destroyed) return;
    if (!decided) {
      decided = true;
      if (byName || (chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b)) {
        const gunzip = createGunzip({ chunkSize: 1 << 20 });
        gunzip.on('error', onError);
        gunzip.pipe(out);
        target = gunzip;
      }
    }
    if (!target.write(chunk)) {
      raw.pause();
      target.once('drain', () => raw.resume());
    }
  });
  raw.on('end', () => {
    if (!out.destroyed) target.end();
  });
  out.on('close', () => {
    if (!raw.destroyed) raw.destroy();
    if (target !== out) (target as unknown as Readable).destroy();
  });
  return out;
}
