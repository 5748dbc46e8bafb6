import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { mkdir, open, readFile, readdir, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { typeError, checkInteger } from './errors.js';
import { checkOptionKeys, optionKeys } from './option-keys.js';

const CACHE_KEYS = optionKeys<ShardCacheOptions>({ dir: true, limit: true, onEvent: true });

/** What the shard cache did, for a log line or a counter (the library never prints). */
export type ShardCacheEvent =
  /** The shard was read from the cache: no request. */
  | { readonly kind: 'hit'; readonly url: string; readonly path: string; readonly bytes: number }
  /** This process downloads the shard into the cache (and reads it as it arrives). */
  | { readonly kind: 'download'; readonly url: string; readonly path: string; readonly bytes: number }
  /** Another process on this node is downloading the shard: this one reads its file as it arrives. */
  | { readonly kind: 'wait'; readonly url: string; readonly pid: number }
  /** A download is complete and in the cache. */
  | { readonly kind: 'stored'; readonly url: string; readonly path: string; readonly bytes: number }
  /** A cached shard was removed to make room (least recently used first). */
  | { readonly kind: 'evict'; readonly path: string; readonly bytes: number }
  /** A download left by a process that died (or stopped its heartbeat) was cleaned up. */
  | { readonly kind: 'stale-lock'; readonly url: string; readonly pid: number }
  /**
   * The shard is streamed without the cache: larger than the limit, of unknown size, no room left
   * (the rest of the limit is held by downloads in progress), or the cache folder failed.
   */
  | {
      readonly kind: 'uncached';
      readonly url: string;
      readonly reason: 'larger-than-limit' | 'unknown-size' | 'no-room' | 'cache-error';
      readonly bytes?: number;
      readonly limit: number;
      readonly message?: string;
    };

/** Where and how much a {@link cachedShardStream} keeps. */
export interface ShardCacheOptions {
  /** The cache folder (created on first use), on a local disk of this node. */
  readonly dir: string;
  /** Most bytes of complete shards kept (downloads in progress count with their size). */
  readonly limit: number;
  /** Called with each {@link ShardCacheEvent}. @default none */
  readonly onEvent?: (event: ShardCacheEvent) => void;
}

/** A lock file's content: who downloads, into which partial file, how large, and a token naming this download. */
interface Lock {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly partial: string;
  readonly bytes?: number;
}

const READ_SIZE = 1 << 20;
const POLL_MS = 25;
const HEARTBEAT_MS = 5_000;
/** A lock whose heartbeat is older than this is stale even if its pid lives (a reused pid, another host). */
const STALE_MS = 30_000;
const CACHED = /^[0-9a-f]{16}-[^/]*$/;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const code = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;
const ignoreMissing = (err: unknown) => {
  if (code(err) !== 'ENOENT') throw err;
};

/**
 * Marks a cached shard as used now, the eviction's order. The time has sub-millisecond precision (a
 * `Date` has whole milliseconds: a download and a hit in the same millisecond tied, and the eviction
 * could then take the shard just read); file systems keep nanoseconds.
 */
async function touch(path: string): Promise<void> {
  const seconds = (performance.timeOrigin + performance.now()) / 1000;
  await utimes(path, seconds, seconds).catch(() => undefined);
}

/** The cache file name of a URL: a hash (distinct URLs, distinct files) and the URL's own name (readable listings). */
export function shardCacheName(url: string): string {
  const name = basename(url.replace(/[?#].*$/, '')).replace(/[^\w.-]/g, '_') || 'shard';
  return `${createHash('sha256').update(url).digest('hex').slice(0, 16)}-${name}`;
}

async function readLock(path: string): Promise<Lock | undefined> {
  try {
    const lock = JSON.parse(await readFile(path, 'utf8')) as Lock;
    return typeof lock.pid === 'number' && typeof lock.partial === 'string' ? lock : undefined;
  } catch {
    return undefined; // missing, or being written
  }
}

/** A lock is live while its heartbeat is fresh and, on this host, its process runs. */
async function alive(path: string, lock: Lock): Promise<boolean> {
  try {
    if (Date.now() - (await stat(path)).mtimeMs > STALE_MS) return false;
  } catch {
    return false;
  }
  if (lock.host !== hostname()) return true;
  try {
    process.kill(lock.pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM';
  }
}

/** Touches the lock every 5 s while its download runs (unref'd: it never holds the process); returns the stop. */
function heartbeat(lockPath: string): () => void {
  const timer = setInterval(() => {
    const now = new Date();
    void utimes(lockPath, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** How the bytes of an open cache file grow: more past `pos`, complete, failed, or its writer is gone. */
type Growth = (pos: number) => Promise<'more' | 'done' | 'lost'>;

/** A source of the consumer's next chunk; `null` at the end. */
interface Source {
  next(): Promise<Buffer | null>;
  close(): void;
}

/** Thrown by a source whose writer went away (another process died): acquire again from the same byte. */
class Lost extends Error {}

function fileSource(fh: FileHandle, start: number, growth: Growth): Source & { pos: number } {
  const src = {
    pos: start,
    async next(): Promise<Buffer | null> {
      for (;;) {
        const buf = Buffer.allocUnsafe(READ_SIZE);
        const { bytesRead } = await fh.read(buf, 0, READ_SIZE, src.pos);
        if (bytesRead > 0) {
          src.pos += bytesRead;
          return bytesRead < READ_SIZE / 4 ? Buffer.from(buf.subarray(0, bytesRead)) : buf.subarray(0, bytesRead);
        }
        const g = await growth(src.pos);
        if (g === 'lost') throw new Lost();
        if (g === 'done') {
          const again = await fh.read(buf, 0, READ_SIZE, src.pos);
          if (again.bytesRead === 0) return null;
          src.pos += again.bytesRead;
          return Buffer.from(buf.subarray(0, again.bytesRead));
        }
      }
    },
    close() {
      void fh.close().catch(() => undefined);
    },
  };
  return src;
}

/** The network stream itself (uncached), from byte `skip` on. */
function directSource(raw: Readable, skip: number): Source {
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let left = skip;
  return {
    async next() {
      for (;;) {
        const r = await it.next();
        if (r.done) return null;
        if (left >= r.value.length) {
          left -= r.value.length;
          continue;
        }
        const b = left > 0 ? r.value.subarray(left) : r.value;
        left = 0;
        return b;
      }
    },
    close() {
      raw.destroy();
    },
  };
}

/** One download into the cache by this process: written to a partial file at the network's pace, renamed when complete. */
class Download {
  written = 0;
  state: 'running' | 'done' | 'failed' = 'running';
  error: Error | undefined;
  private readonly events = new EventEmitter();

  constructor(
    raw: Readable,
    out: FileHandle,
    paths: { readonly partial: string; readonly final: string; readonly lock: string },
    stopBeat: () => void,
    done: (bytes: number) => void,
  ) {
    this.events.setMaxListeners(0);
    const sink = new Writable({
      highWaterMark: 4 << 20,
      write: (chunk: Buffer, _encoding, cb) => {
        out.write(chunk, 0, chunk.length, null).then(() => {
          this.written += chunk.length;
          this.events.emit('progress');
          cb();
        }, cb);
      },
    });
    pipeline(raw, sink)
      .then(async () => {
        await out.close();
        await rename(paths.partial, paths.final);
        await touch(paths.final);
        await unlink(paths.lock).catch(ignoreMissing);
        this.state = 'done';
        done(this.written);
      })
      .catch(async (err: unknown) => {
        this.state = 'failed';
        this.error = err instanceof Error ? err : new Error(String(err));
        await out.close().catch(() => undefined);
        await unlink(paths.partial).catch(() => undefined);
        await unlink(paths.lock).catch(() => undefined);
      })
      .finally(() => {
        stopBeat();
        this.events.emit('progress');
      });
  }

  /** Growth of the partial file as this process writes it. */
  readonly growth: Growth = async (pos) => {
    for (;;) {
      if (this.written > pos) return 'more';
      if (this.state === 'done') return 'done';
      if (this.state === 'failed') throw this.error ?? new Error('the download failed');
      await once(this.events, 'progress');
    }
  };
}

/**
 * A shard's bytes through a bounded cache on local disk: `fetch` opens the network stream (a
 * resumable HTTP or object store stream, which emits `size` before its first byte). Safe with
 * several processes on one node sharing `dir`:
 *
 * - A complete cached file `NAME` is read with no request (its time stamp marks it recently used).
 * - Else the first process creates `NAME.lock` (`open(..., 'wx')`: one winner), downloads into its own
 *   `NAME.<pid>-<token>.partial` at the network's pace and renames it to `NAME` when complete, so no
 *   reader ever takes a half-written file for a shard. Its consumer reads the partial file as it grows
 *   (a tee through the disk: the first epoch is not held back, and memory stays bounded whatever the
 *   consumer's pace).
 * - Another process finding the lock reads the same partial file as it grows: one download per node.
 * - A lock whose process is gone (same host, `kill(pid, 0)` fails) or whose heartbeat (the lock's
 *   time stamp, touched every 5 s) is older than 30 s is stale: its partial file and lock are removed
 *   and the shard is fetched again; a reader that was following it continues from the byte it had.
 * - Room is made before a download, least recently used first; downloads in progress count with
 *   their size. A shard larger than the limit, of unknown size, or with no room left (the rest of
 *   the limit held by downloads in progress) is streamed uncached, reported as `uncached`: nothing
 *   waits for room, so nothing deadlocks.
 *
 * A download outlives its consumer: destroying the stream closes the reader's file, and the
 * download runs on to the end (or to its failure), since it is the node's copy: processes
 * following it and the next epoch read it, and a tar reader stops before the archive's padding,
 * which would otherwise throw away nearly complete downloads. Errors of the network stream come
 * out of the stream as they are; errors of the cache folder turn into an uncached read and an
 * `uncached` event with reason `cache-error`.
 *
 * @throws TypeError/RangeError for a bad `dir`, `limit` or option name, when called.
 */
export function cachedShardStream(url: string, fetch: () => Readable, cache: ShardCacheOptions): Readable {
  checkOptionKeys('cachedShardStream', cache, CACHE_KEYS);
  if (typeof cache.dir !== 'string' || cache.dir === '')
    throw typeError('cache a shard', 'dir must be a folder path', cache.dir);
  checkInteger('cache a shard', 'limit', cache.limit, 1);
  const emit = cache.onEvent ?? (() => undefined);
  const name = shardCacheName(url);
  const final = join(cache.dir, name);
  const lockPath = `${final}.lock`;
  let source: Source | undefined;
  let pos = 0;
  let pumping = false;
  let waited = false;

  const out = new Readable({
    highWaterMark: READ_SIZE,
    read() {
      void pump();
    },
    destroy(err, cb) {
      source?.close();
      source = undefined;
      cb(err);
    },
  });

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (!out.destroyed) {
        source ??= await acquire();
        if (out.destroyed) {
          source.close();
          return;
        }
        let chunk: Buffer | null;
        try {
          chunk = await source.next();
        } catch (err) {
          if (!(err instanceof Lost)) throw err;
          source.close();
          source = undefined;
          continue;
        }
        if (out.destroyed) return;
        if (chunk === null) {
          out.push(null);
          return;
        }
        pos += chunk.length;
        if (!out.push(chunk)) return;
      }
    } catch (err) {
      if (!out.destroyed) out.destroy(err as Error);
    } finally {
      pumping = false;
    }
  }

  function uncached(raw: Readable, reason: 'larger-than-limit' | 'unknown-size' | 'no-room', bytes?: number): Source {
    emit({ kind: 'uncached', url, reason, bytes, limit: cache.limit });
    return directSource(raw, pos);
  }

  /** Where the next bytes come from: the cached file, another process's download, a download of ours, or the network. */
  async function acquire(): Promise<Source> {
    try {
      await mkdir(cache.dir, { recursive: true });
    } catch (err) {
      emit({ kind: 'uncached', url, reason: 'cache-error', limit: cache.limit, message: String(err) });
      return directSource(fetch(), pos);
    }
    for (;;) {
      if (out.destroyed) throw new Error('closed');
      try {
        const fh = await open(final, 'r');
        await touch(final);
        emit({ kind: 'hit', url, path: final, bytes: (await fh.stat()).size });
        return fileSource(fh, pos, () => Promise.resolve('done'));
      } catch (err) {
        ignoreMissing(err);
      }
      let lockFh: FileHandle;
      try {
        lockFh = await open(lockPath, 'wx');
      } catch (err) {
        if (code(err) !== 'EEXIST') throw err;
        const peer = await following();
        if (peer) return peer;
        continue;
      }
      return await downloading(lockFh);
    }
  }

  /** The lock is held by another download: follow its partial file, or clean up a stale one. `undefined`: look again. */
  async function following(): Promise<Source | undefined> {
    const lock = await readLock(lockPath);
    if (!lock) {
      // being written, or left empty by a process killed at once: stale after the heartbeat limit
      const s = await stat(lockPath).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs > STALE_MS) await unlink(lockPath).catch(() => undefined);
      else await sleep(POLL_MS);
      return undefined;
    }
    if (!(await alive(lockPath, lock))) {
      // remove only the lock judged stale (its token still there), and the partial file it names
      if ((await readLock(lockPath))?.token === lock.token) {
        await unlink(lockPath).catch(() => undefined);
        await unlink(join(cache.dir, lock.partial)).catch(() => undefined);
        emit({ kind: 'stale-lock', url, pid: lock.pid });
      }
      return undefined;
    }
    let fh: FileHandle;
    try {
      fh = await open(join(cache.dir, lock.partial), 'r');
    } catch (err) {
      ignoreMissing(err);
      await sleep(POLL_MS); // not created yet, or renamed this instant
      return undefined;
    }
    if (!waited) {
      waited = true;
      emit({ kind: 'wait', url, pid: lock.pid });
    }
    const ino = (await fh.stat()).ino;
    return fileSource(fh, pos, async (at) => {
      for (;;) {
        if (out.destroyed) return 'lost';
        if ((await fh.stat()).size > at) return 'more';
        const now = await readLock(lockPath);
        if (now?.token === lock.token && (await alive(lockPath, now))) {
          await sleep(POLL_MS);
          continue;
        }
        const done = await stat(final).catch(() => undefined);
        if (done?.ino === ino) return (await fh.stat()).size > at ? 'more' : 'done';
        return 'lost';
      }
    });
  }

  /** This process holds the lock: download into the cache, or stream uncached when the shard does not fit. */
  async function downloading(lockFh: FileHandle): Promise<Source> {
    const token = randomUUID();
    const partial = `${name}.${process.pid}-${token.slice(0, 8)}.partial`;
    const lock: Lock = { pid: process.pid, host: hostname(), token, partial };
    let raw: Readable | undefined;
    const stopBeat = heartbeat(lockPath);
    const release = async () => {
      stopBeat();
      await lockFh.close().catch(() => undefined);
      await unlink(lockPath).catch(() => undefined);
    };
    try {
      await lockFh.write(JSON.stringify(lock));
      if (await stat(final).catch(() => undefined)) {
        await release(); // completed by another process between the two looks
        return await acquire();
      }
      raw = fetch();
      raw.on('error', () => undefined); // seen by whoever reads it next; never an unhandled error in between
      const size = await sizeOf(raw);
      if (size === undefined || size > cache.limit) {
        await release();
        return uncached(raw, size === undefined ? 'unknown-size' : 'larger-than-limit', size);
      }
      await lockFh.truncate(0);
      await lockFh.write(JSON.stringify({ ...lock, bytes: size }), 0);
      await lockFh.close();
      if (!(await makeRoom(size, token))) {
        await release();
        return uncached(raw, 'no-room', size);
      }
      const partialPath = join(cache.dir, partial);
      const writer = await open(partialPath, 'wx');
      const reader = await open(partialPath, 'r');
      emit({ kind: 'download', url, path: final, bytes: size });
      const download = new Download(raw, writer, { partial: partialPath, final, lock: lockPath }, stopBeat, (bytes) =>
        emit({ kind: 'stored', url, path: final, bytes }),
      );
      return fileSource(reader, pos, download.growth);
    } catch (err) {
      await release();
      if (raw === undefined || !isCacheError(err)) {
        raw?.destroy();
        throw err;
      }
      emit({ kind: 'uncached', url, reason: 'cache-error', limit: cache.limit, message: String(err) });
      return directSource(raw, pos);
    }
  }

  /** Evicts least recently used complete shards until `need` more bytes fit; false when downloads in progress hold the rest. */
  async function makeRoom(need: number, own: string): Promise<boolean> {
    const files: { path: string; size: number; used: number }[] = [];
    let used = 0;
    for (const entry of await readdir(cache.dir)) {
      const path = join(cache.dir, entry);
      if (entry.endsWith('.lock')) {
        const lock = await readLock(path);
        if (lock && lock.token !== own && lock.bytes !== undefined && (await alive(path, lock))) used += lock.bytes;
      } else if (CACHED.test(entry) && !entry.endsWith('.partial')) {
        const s = await stat(path).catch(() => undefined);
        if (!s?.isFile()) continue;
        files.push({ path, size: s.size, used: s.mtimeMs });
        used += s.size;
      }
    }
    files.sort((a, b) => a.used - b.used);
    for (const f of files) {
      if (used + need <= cache.limit) break;
      await unlink(f.path).catch(ignoreMissing);
      used -= f.size;
      emit({ kind: 'evict', path: f.path, bytes: f.size });
    }
    return used + need <= cache.limit;
  }

  return out;
}

/** Errors of the cache folder (full disk, permissions), as opposed to the network stream's. */
function isCacheError(err: unknown): boolean {
  return typeof code(err) === 'string' && !(err as { reason?: unknown }).reason;
}

/** The size the network stream announces before its first byte; its error if it fails first. */
function sizeOf(raw: Readable): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const done = () => {
      raw.off('size', onSize).off('error', onError).off('end', onEnd);
    };
    const onSize = (size: number | undefined) => {
      done();
      resolve(size);
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onEnd = () => {
      done();
      resolve(undefined);
    };
    raw.on('size', onSize).on('error', onError).on('end', onEnd);
  });
}
