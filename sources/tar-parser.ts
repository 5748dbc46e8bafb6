/**
 * A small incremental tar parser for the read hot path: chunks in, regular file entries out (as a
 * synchronous generator per chunk, so a caller that stops pulling stops the parsing). It reads what
 * Python's `tarfile` writes (ustar with its name prefix, GNU with `L` long names and base-256 sizes,
 * pax with `path`/`size` records) and old v7 headers; it checks every header's checksum, stops at the
 * first zero block (the end-of-archive marker, as `tarfile` does), and reports how the input ended.
 */

import { constants } from 'node:buffer';

/** One regular file of a tar. */
export interface TarEntry {
  readonly kind: 'entry';
  /** The full name (ustar prefix, GNU long name and pax `path` applied). */
  readonly name: string;
  /** The file's bytes (its own memory unless the entry is large: then a view of the read chunk). */
  readonly data: Buffer;
}

/** The header of a regular file was read; its data is read when the consumer pulls again. */
export interface TarEntryStart {
  readonly kind: 'start';
  readonly name: string;
}

/** What {@link TarParser.feed} yields: for each regular file, its start, then the whole entry. */
export type TarEvent = TarEntryStart | TarEntry;

/** How the input ended, from {@link TarParser.finish}. */
export type TarEnd =
  /** The end-of-archive marker was read. */
  | 'complete'
  /** No byte at all. */
  | 'empty'
  /** Some bytes, but not one whole header. */
  | 'too-short'
  /** The last entry is whole but the end-of-archive marker is missing (cut at an entry boundary). */
  | 'no-end-marker'
  /** Cut inside a header. */
  | 'mid-header'
  /** Cut inside an entry's data (or its padding). */
  | 'mid-entry';

/** A header that is not a tar header (bad checksum, bad number), or a header too large to be sane. */
export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
  constructor(
    /** `not-a-tar` for the first header, `corrupt-header` for a later one. */
    readonly kind: 'not-a-tar' | 'corrupt-header',
    message: string,
  ) {
    super(message);
  }
}

const HEADER = 0;
const DATA = 1;
const PAD = 2;
const END = 3;

/** Entries of at least this size that lie inside one chunk are views of it; smaller ones are copied (a view keeps the whole chunk alive). */
const VIEW_MIN = 256 * 1024;
/** Longest GNU long name or pax header accepted. */
const MAX_META = 16 * 1024 * 1024;
/** Largest entry (one Buffer). */
const MAX_ENTRY = constants.MAX_LENGTH;

const KIND_FILE = 1;
const KIND_LONGNAME = 2;
const KIND_PAX = 3;
const KIND_SKIP = 4;

/** See the module comment. One parser per tar stream. */
export class TarParser {
  private state = HEADER;
  private readonly head = Buffer.allocUnsafe(512);
  private headFill = 0;
  private remaining = 0;
  private padding = 0;
  private kind = KIND_SKIP;
  private target: Buffer | undefined;
  private targetFill = 0;
  private current = '';
  private longName: string | undefined;
  private paxPath: string | undefined;
  private paxSize: number | undefined;
  /** Bytes fed so far. */
  bytesIn = 0;
  /** Headers parsed so far (all kinds). */
  headers = 0;
  /** The first bytes of the input (up to 8), to name a foreign compression. */
  magic: Buffer = Buffer.alloc(0);

  /** True once the end-of-archive marker was read (the rest of the input can be ignored). */
  get done(): boolean {
    return this.state === END;
  }

  /** The name of the regular entry whose data is being read, if any (to place a cut). */
  get pendingEntry(): string | undefined {
    return this.state === DATA && this.kind === KIND_FILE ? this.current : undefined;
  }

  /**
   * Parses a chunk, yielding for each regular file its start (once its header is read) and then the
   * whole entry; nothing more is parsed until the consumer pulls. Throws {@link TarFormatError}.
   */
  *feed(chunk: Buffer): Generator<TarEvent, void, undefined> {
    const n = chunk.length;
    if (this.bytesIn < 8) this.magic = Buffer.concat([this.magic, chunk.subarray(0, 8 - this.bytesIn)]);
    this.bytesIn += n;
    let pos = 0;
    while (pos < n) {
      const state = this.state;
      if (state === DATA) {
        const k = Math.min(this.remaining, n - pos);
        if (this.target) chunk.copy(this.target, this.targetFill, pos, pos + k);
        this.targetFill += k;
        this.remaining -= k;
        pos += k;
        if (this.remaining === 0) {
          this.state = this.padding > 0 ? PAD : HEADER;
          const entry = this.complete(this.target as Buffer);
          if (entry) yield entry;
        }
      } else if (state === PAD) {
        const k = Math.min(this.padding, n - pos);
        this.padding -= k;
        pos += k;
        if (this.padding === 0) this.state = HEADER;
      } else if (state === HEADER) {
        if (this.headFill === 0 && n - pos >= 512) {
          this.header(chunk, pos);
          pos += 512;
        } else {
          const k = Math.min(512 - this.headFill, n - pos);
          chunk.copy(this.head, this.headFill, pos, pos + k);
          this.headFill += k;
          pos += k;
          if (this.headFill < 512) return;
          this.headFill = 0;
          this.header(this.head, 0);
        }
        if (this.kind === KIND_FILE && this.state !== END) yield { kind: 'start', name: this.current };
        if (this.state === DATA) {
          if (this.kind === KIND_FILE && this.remaining >= VIEW_MIN && n - pos >= this.remaining) {
            // a large entry inside this chunk: a view, no copy
            const data = chunk.subarray(pos, pos + this.remaining);
            pos += this.remaining;
            this.remaining = 0;
            this.target = undefined;
            this.state = this.padding > 0 ? PAD : HEADER;
            const entry = this.complete(data);
            if (entry) yield entry;
          } else if (this.kind === KIND_FILE || this.kind === KIND_LONGNAME || this.kind === KIND_PAX) {
            this.target = Buffer.allocUnsafe(this.remaining);
            this.targetFill = 0;
          } else {
            this.target = undefined;
          }
        } else if (this.state === HEADER && this.kind === KIND_FILE) {
          // an empty file
          const entry = this.complete(Buffer.alloc(0));
          if (entry) yield entry;
        }
      } else {
        return; // END: the rest is ignored
      }
    }
  }

  /** How the input ended (call after the last chunk). */
  finish(): TarEnd {
    if (this.state === END) return 'complete';
    if (this.bytesIn === 0) return 'empty';
    if (this.headers === 0) return 'too-short';
    if (this.state === HEADER) return this.headFill === 0 ? 'no-end-marker' : 'mid-header';
    return 'mid-entry';
  }

  private header(b: Buffer, off: number): void {
    const sum = byteSum(b, off);
    if (sum === 0 && this.allZero(b, off + 148, off + 156)) {
      this.state = END; // the end-of-archive marker (tarfile stops at the first zero block too)
      return;
    }
    // the checksum counts its own field as 8 spaces; old writers summed signed bytes
    const stored = this.number(b, off + 148, 8);
    if (stored !== sum + 256 && stored !== this.signedSum(b, off) + 256) {
      throw this.formatError(`Cannot read a tar header as its checksum is wrong (header ${this.headers + 1})`);
    }
    this.headers++;
    const type = b[off + 156] as number;
    let size = this.number(b, off + 124, 12);
    let name = text(b, off, 100);
    const kind = entryKind(type);
    if (kind === KIND_FILE || kind === KIND_SKIP) {
      // ustar name prefix (only in POSIX ustar headers: GNU headers keep other fields there)
      if (
        b[off + 257] === 0x75 &&
        b[off + 262] === 0 &&
        b[off + 345] !== 0 &&
        b.toString('latin1', off + 257, off + 262) === 'ustar'
      ) {
        name = `${text(b, off + 345, 155)}/${name}`;
      }
      if (this.longName !== undefined) name = this.longName;
      if (this.paxPath !== undefined) name = this.paxPath;
      if (this.paxSize !== undefined) size = this.paxSize;
      this.longName = undefined;
      this.paxPath = undefined;
      this.paxSize = undefined;
    }
    this.current = name;
    let effectiveKind = kind;
    // old v7 tars mark directories as regular files with a trailing slash; links and devices carry no data
    if (kind === KIND_FILE && type === 0 && name.endsWith('/')) effectiveKind = KIND_SKIP;
    if (type >= 0x31 && type <= 0x36) size = 0;
    if ((kind === KIND_LONGNAME || kind === KIND_PAX) && size > MAX_META) {
      throw this.formatError(`Cannot read a tar header as its long name or pax record of ${size} bytes is too large`);
    }
    if (kind === KIND_FILE && size > MAX_ENTRY) {
      throw this.formatError(
        `Cannot read tar entry ${JSON.stringify(name)} as its ${size} bytes exceed the largest buffer (${MAX_ENTRY})`,
      );
    }
    this.kind = effectiveKind;
    this.remaining = size;
    this.padding = (512 - (size % 512)) % 512;
    this.state = size > 0 ? DATA : HEADER;
    if (size === 0 && effectiveKind !== KIND_FILE) this.complete(Buffer.alloc(0));
  }

  private complete(data: Buffer): TarEntry | undefined {
    switch (this.kind) {
      case KIND_FILE:
        return { kind: 'entry', name: this.current, data };
      case KIND_LONGNAME:
        this.longName = text(data, 0, data.length);
        return undefined;
      case KIND_PAX:
        this.pax(data);
        return undefined;
      default:
        return undefined;
    }
  }

  private pax(data: Buffer): void {
    let pos = 0;
    while (pos < data.length) {
      const space = data.indexOf(0x20, pos);
      if (space < 0) break;
      const len = Number(data.toString('latin1', pos, space));
      if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) {
        throw new TarFormatError('corrupt-header', 'a pax header record is malformed');
      }
      const record = data.toString('utf8', space + 1, pos + len - 1);
      const eq = record.indexOf('=');
      if (eq > 0) {
        const key = record.slice(0, eq);
        const value = record.slice(eq + 1);
        if (key === 'path') this.paxPath = value;
        else if (key === 'size') {
          const s = Number(value);
          if (!Number.isSafeInteger(s) || s < 0)
            throw new TarFormatError('corrupt-header', `a pax size record is not a size: ${value}`);
          this.paxSize = s;
        }
      }
      pos += len;
    }
  }

  /** An octal (or GNU base-256) number field, read as tarfile's `nti` does. */
  private number(b: Buffer, off: number, len: number): number {
    const first = b[off] as number;
    if (first & 0x80) {
      if (first === 0xff) throw this.formatError('Cannot read a tar header as it holds a negative number');
      let v = first & 0x7f;
      for (let i = off + 1; i < off + len; i++) v = v * 256 + (b[i] as number);
      return v;
    }
    const end = off + len;
    let i = off;
    while (i < end && b[i] === 0x20) i++;
    let v = 0;
    for (; i < end; i++) {
      const c = b[i] as number;
      if (c === 0 || c === 0x20) break;
      if (c < 0x30 || c > 0x37) throw this.formatError('Cannot read a tar header as a number field is not octal');
      v = v * 8 + (c - 0x30);
    }
    return v;
  }

  private formatError(message: string): TarFormatError {
    return new TarFormatError(this.headers === 0 ? 'not-a-tar' : 'corrupt-header', message);
  }

  private signedSum(b: Buffer, off: number): number {
    let sum = 0;
    for (let i = off; i < off + 512; i++) {
      if (i >= off + 148 && i < off + 156) continue;
      const c = b[i] as number;
      sum += c >= 128 ? c - 256 : c;
    }
    return sum;
  }

  private allZero(b: Buffer, from: number, to: number): boolean {
    for (let i = from; i < to; i++) if (b[i] !== 0) return false;
    return true;
  }
}

function entryKind(type: number): number {
  switch (type) {
    case 0x30: // '0'
    case 0: // '\0' (old tars)
    case 0x37: // '7' contiguous file
      return KIND_FILE;
    case 0x4c: // 'L' GNU long name
      return KIND_LONGNAME;
    case 0x78: // 'x' pax header of the next entry
      return KIND_PAX;
    default:
      // 'K' long link name, 'g' global pax header, links, devices, directories, fifos, GNU specials
      return KIND_SKIP;
  }
}

/** Sum of a header's bytes without its checksum field (4 bytes at a time when aligned). */
function byteSum(b: Buffer, off: number): number {
  let sum = 0;
  if (((b.byteOffset + off) & 3) === 0) {
    const words = new Uint32Array(b.buffer, b.byteOffset + off, 128);
    for (let i = 0; i < 128; i++) {
      if (i === 37 || i === 38) continue; // bytes 148..155
      const w = words[i] as number;
      const pairs = (w & 0x00ff00ff) + ((w >>> 8) & 0x00ff00ff);
      sum += (pairs & 0xffff) + (pairs >>> 16);
    }
    return sum;
  }
  for (let i = off; i < off + 148; i++) sum += b[i] as number;
  for (let i = off + 156; i < off + 512; i++) sum += b[i] as number;
  return sum;
}

/** A NUL-terminated UTF-8 string field. */
function text(b: Buffer, off: number, len: number): string {
  let end = b.indexOf(0, off);
  if (end < 0 || end > off + len) end = off + len;
  return b.toString('utf8', off, end);
}
