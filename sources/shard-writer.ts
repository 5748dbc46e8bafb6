import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import * as tar from 'tar-stream';
import { checkInteger, rangeError, typeError } from './errors.js';

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

/**
 * Writes WebDataset tar shards from a pattern with one `%d`-style placeholder
 * (`out/train-%06d.tar`), starting a new shard when `maxSamples` or `maxBytes` would be passed.
 * The bytes are reproducible: every header has mtime 0, uid/gid 0, no user names, mode 0644, and
 * fields are written in the order the sample lists them.
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

  constructor(
    private readonly pattern: string,
    options: ShardWriterOptions = {},
  ) {
    if (!/%0?\d*d/.test(pattern))
      throw rangeError(
        'create a shard writer',
        'the pattern must contain a %d placeholder (e.g. train-%06d.tar)',
        pattern,
      );
    this.maxSamples = checkInteger('create a shard writer', 'maxSamples', options.maxSamples ?? 100_000, 1);
    this.maxBytes = checkInteger('create a shard writer', 'maxBytes', options.maxBytes ?? 3e9, 1);
    this.index = checkInteger('create a shard writer', 'startIndex', options.startIndex ?? 0, 0);
  }

  /** The shard file name for an index. */
  shardName(index: number): string {
    return this.pattern.replace(/%(0?)(\d*)d/, (_, zero: string, width: string) =>
      String(index).padStart(Number(width || 0), zero ? '0' : ' '),
    );
  }

  /** Writes one sample (waits when the file is slower than the caller). */
  async write(sample: WritableSample): Promise<void> {
    if (this.closed) throw rangeError('write a sample', 'the writer is closed', sample.__key__);
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
      await new Promise<void>((resolve, reject) => {
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
    }
    this.count++;
    this.bytes += size;
    if (this.file && this.file.writableNeedDrain) await new Promise<void>((r) => this.file?.once('drain', () => r()));
  }

  /** Finishes the last shard and returns the paths of all shards written. Idempotent. */
  async close(): Promise<string[]> {
    if (!this.closed) {
      this.closed = true;
      await this.finishShard();
    }
    return [...this.written];
  }

  private startShard(): void {
    const path = this.shardName(this.index++);
    mkdirSync(dirname(path), { recursive: true });
    this.pack = tar.pack();
    this.file = createWriteStream(path);
    const file = this.file;
    this.finished = new Promise<void>((resolve, reject) => {
      file.on('finish', resolve);
      file.on('error', reject);
    });
    this.pack.pipe(file);
    this.written.push(path);
    this.count = 0;
    this.bytes = 0;
  }

  private async finishShard(): Promise<void> {
    if (!this.pack) return;
    this.pack.finalize();
    await this.finished;
    this.pack = undefined;
    this.file = undefined;
  }
}
