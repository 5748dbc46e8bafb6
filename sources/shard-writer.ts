import { createWriteStream, mkdirSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import * as tar from 'tar-stream';
import { checkInteger, rangeError, typeError } from './errors.js';
import { checkOptionKeys, optionKeys } from './option-keys.js';

const SHARD_WRITER_KEYS = optionKeys<ShardWriterOptions>({ maxSamples: true, maxBytes: true, startIndex: true });

/** Options of {@link ShardWriter}. */
export interface ShardWriterOptions {
  /** Most samples per shard. @default 100000 */
  readonly maxSamples?: number;
  /** Most bytes of entry data per shard (a shard is closed before a sample would pass it). @default 3e9 */
  readonly maxBytes?: number;
  /** Index of the first shard. @default 0 */
  readonly startIndex?: number;
}

/** A sample to write: `__key__` plus fields (bytes, strings, or JSON-able values for `json`/`cls`). */
export interface WritableSample {
  readonly __key__: string;
  readonly [field: string]: unknown;
}

/** Turns one field value into bytes: bytes as they are, strings as UTF-8, numbers as text, objects as JSON. */
export function encodeField(field: string, value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'bigint') return Buffer.from(String(value), 'utf8');
  if (field.endsWith('json') || (typeof value === 'object' && value !== null))
    return Buffer.from(JSON.stringify(value), 'utf8');
  throw typeError('encode a field', `field ${JSON.stringify(field)} must be bytes, a string, a number or JSON`, value);
}

/** The name a shard is written under until it is complete (then renamed to `path`). */
export function partialShardName(path: string): string {
  return `${path}.partial`;
}

/**
 * Writes WebDataset tar shards from a pattern with one `%d`-style placeholder
 * (`out/train-%06d.tar`), starting a new shard when `maxSamples` or `maxBytes` would be passed.
 * The bytes are reproducible: every header has mtime 0, uid/gid 0, no user names, mode 0644, and
 * fields are written in the order the sample lists them.
 *
 * Shards are written atomically: each goes to `<name>.partial` and is renamed to its name once
 * complete, so a shard under its final name is always whole. On a write error (a folder that cannot
 * be created or written, a full disk) the writer fails with one `Error` naming the shard, and
 * {@link ShardWriter.abort} (or a failed {@link ShardWriter.close}) removes the partial shard;
 * {@link ShardWriter.completed} lists the shards finished so far.
 *
 * @example
 * const w = new ShardWriter('out/train-%06d.tar', { maxSamples: 1000 });
 * await w.write({ __key__: '000001', png: bytes, cls: 3 });
 * const shards = await w.close();
 */
export class ShardWriter {
  private readonly maxSamples: number;
  private readonly maxBytes: number;
  private index: number;
  private pack: tar.Pack | undefined;
  private file: WriteStream | undefined;
  private finished: Promise<void> | undefined;
  private count = 0;
  private bytes = 0;
  private readonly written: string[] = [];
  private closed = false;
  /** The shard being written (its final name), while one is open. */
  private current: string | undefined;
  /** The first write error (the stream's or the packer's), thrown by the next call. */
  private failure: Error | undefined;
  /** Rejects with {@link failure} when it happens: a write waiting on a broken stream wakes up. */
  private readonly failed: Promise<never>;
  private rejectFailed: (err: Error) => void = () => undefined;

  constructor(
    private readonly pattern: string,
    options: ShardWriterOptions = {},
  ) {
    checkOptionKeys('ShardWriter', options, SHARD_WRITER_KEYS);
    if (!/%0?\d*d/.test(pattern))
      throw rangeError(
        'create a shard writer',
        'the pattern must contain a %d placeholder (e.g. train-%06d.tar)',
        pattern,
      );
    this.maxSamples = checkInteger('create a shard writer', 'maxSamples', options.maxSamples ?? 100_000, 1);
    this.maxBytes = checkInteger('create a shard writer', 'maxBytes', options.maxBytes ?? 3e9, 1);
    this.index = checkInteger('create a shard writer', 'startIndex', options.startIndex ?? 0, 0);
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => undefined);
  }

  /** The shard file name for an index. */
  shardName(index: number): string {
    return this.pattern.replace(/%(0?)(\d*)d/, (_, zero: string, width: string) =>
      String(index).padStart(Number(width || 0), zero ? '0' : ' '),
    );
  }

  /** The shards complete so far (renamed to their final names), in order. */
  get completed(): readonly string[] {
    return [...this.written];
  }

  /** Writes one sample (waits when the file is slower than the caller). */
  async write(sample: WritableSample): Promise<void> {
    if (this.closed) throw rangeError('write a sample', 'the writer is closed', sample.__key__);
    if (this.failure) throw this.failure;
    const key = sample.__key__;
    if (typeof key !== 'string' || key === '' || key.includes('.'))
      throw rangeError('write a sample', '__key__ must be a non-empty string without dots', key);
    const entries: [string, Buffer][] = [];
    let size = 0;
    for (const [field, value] of Object.entries(sample)) {
      if (field.startsWith('__')) continue;
      const data = encodeField(field, value);
      entries.push([field, data]);
      size += data.length;
    }
    if (entries.length === 0) throw rangeError('write a sample', 'it must have at least one field', key);
    if (this.pack && (this.count >= this.maxSamples || (this.count > 0 && this.bytes + size > this.maxBytes)))
      await this.finishShard();
    if (!this.pack) this.startShard();
    const pack = this.pack as tar.Pack;
    for (const [field, data] of entries) {
      const written = new Promise<void>((resolve, reject) => {
        if (this.failure) {
          reject(this.failure);
          return;
        }
        pack.entry(
          {
            name: `${key}.${field}`,
            size: data.length,
            mtime: new Date(0),
            uid: 0,
            gid: 0,
            uname: '',
            gname: '',
            mode: 0o644,
          },
          data,
          (err) => (err ? reject(err) : resolve()),
        );
      });
      await Promise.race([written, this.failed]);
    }
    this.count++;
    this.bytes += size;
    const file = this.file;
    if (file && file.writableNeedDrain)
      await Promise.race([new Promise<void>((r) => file.once('drain', () => r())), this.failed]);
  }

  /**
   * Finishes the last shard and returns the paths of all shards written. Idempotent. On a write
   * error the partial shard is removed and the error thrown (the complete ones stay: {@link completed}).
   */
  async close(): Promise<string[]> {
    if (!this.closed) {
      this.closed = true;
      try {
        await this.finishShard();
      } catch (err) {
        await this.discard();
        throw err;
      }
    }
    if (this.failure) throw this.failure;
    return [...this.written];
  }

  /**
   * Stops writing (after an error elsewhere, or an interrupt): the shard being written is closed and
   * its partial file removed; complete shards stay. Resolves with them once the partial file is gone.
   * Idempotent; `close` after it returns them too.
   */
  async abort(): Promise<string[]> {
    this.closed = true;
    await this.discard();
    return [...this.written];
  }

  /**
   * Closes the open shard's streams and removes its partial file. The file opens asynchronously, so
   * it is removed once the stream has closed: removed earlier, an open still under way would create it
   * again after the removal (a `.partial` left behind by an interrupted prepare).
   */
  private async discard(): Promise<void> {
    const { pack, file, current } = this;
    this.pack = undefined;
    this.file = undefined;
    this.current = undefined;
    pack?.destroy();
    if (file && !file.closed) {
      const closed = new Promise<void>((resolve) => file.once('close', () => resolve()));
      file.destroy();
      await closed;
    }
    if (current !== undefined) rmSync(partialShardName(current), { force: true });
  }

  private startShard(): void {
    const path = this.shardName(this.index++);
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw this.fail(path, err);
    }
    const pack = tar.pack();
    const file = createWriteStream(partialShardName(path));
    this.pack = pack;
    this.file = file;
    this.current = path;
    this.finished = new Promise<void>((resolve, reject) => {
      file.on('finish', resolve);
      file.on('error', (err) => reject(this.fail(path, err)));
    });
    // an unhandled 'error' on either stream would end the process with a stack trace
    this.finished.catch(() => undefined);
    pack.on('error', (err) => this.fail(path, err));
    pack.pipe(file);
    this.count = 0;
    this.bytes = 0;
  }

  /** Records the first write error as one message naming the shard. */
  private fail(path: string, err: unknown): Error {
    if (this.failure === undefined) {
      this.failure = new Error(`Cannot write shard ${path} as ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
      this.rejectFailed(this.failure);
    }
    return this.failure;
  }

  private async finishShard(): Promise<void> {
    if (!this.pack || this.current === undefined) return;
    const path = this.current;
    this.pack.finalize();
    await Promise.race([this.finished, this.failed]);
    try {
      renameSync(partialShardName(path), path);
    } catch (err) {
      throw this.fail(path, err);
    }
    this.written.push(path);
    this.pack = undefined;
    this.file = undefined;
    this.current = undefined;
  }
}
