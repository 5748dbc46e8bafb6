import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { rangeError } from '../errors.js';

/** An idx array (the format of MNIST and Fashion-MNIST): unsigned bytes with their dimensions. */
export interface IdxArray {
  /** The file it was read from (for error messages). */
  readonly path: string;
  /** Dimensions, outermost first: `[n, 28, 28]` for images, `[n]` for labels. */
  readonly dims: readonly number[];
  /** The values, row-major, one byte each. */
  readonly data: Uint8Array;
}

/** What {@link parseIdx} checks beyond the format itself. */
export interface IdxExpectation {
  /** Number of dimensions (idx3 images: 3, idx1 labels: 1). */
  readonly ndims?: number;
  /** Dimensions after the first (e.g. `[28, 28]`). */
  readonly inner?: readonly number[];
}

const UBYTE = 0x08;
const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: 'ubyte',
  0x09: 'byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
};

/**
 * Parses idx bytes (gunzipped first when they start with gzip's magic): magic `00 00 08 NDIMS`
 * (unsigned bytes), NDIMS big-endian 32-bit sizes, then exactly the product of the sizes in bytes.
 * Every check fails with a RangeError that names the file.
 *
 * @example parseIdx(readFileSync('t10k-labels-idx1-ubyte'), 't10k-labels-idx1-ubyte', { ndims: 1 })
 * @throws RangeError for a bad magic number, a type other than ubyte, unexpected dimensions, or a
 *   data length that does not match the header (truncated or trailing bytes).
 */
export function parseIdx(bytes: Uint8Array, path: string, expect: IdxExpectation = {}): IdxArray {
  const action = `read idx file ${path}`;
  let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw rangeError(action, `it must be a valid gzip file (${(err as Error).message})`, buf.length);
    }
  }
  if (buf.length < 4) throw rangeError(action, 'it must hold at least the 4-byte magic number', buf.length);
  const magic = buf.readUInt32BE(0);
  if (buf[0] !== 0 || buf[1] !== 0)
    throw rangeError(action, 'its magic number must start with two zero bytes (00 00 08 0N)', hex(magic));
  const type = buf[2] as number;
  if (type !== UBYTE) {
    throw rangeError(action, `its element type must be ubyte (0x08), not ${TYPE_NAMES[type] ?? 'unknown'}`, hex(magic));
  }
  const ndims = buf[3] as number;
  if (ndims === 0)
    throw rangeError(action, 'its magic number must give at least one dimension (0x0000080N, N > 0)', hex(magic));
  if (expect.ndims !== undefined && ndims !== expect.ndims) {
    throw rangeError(
      action,
      `its magic number must be 0x0000080${expect.ndims} (${expect.ndims} dimension(s))`,
      hex(magic),
    );
  }
  const header = 4 + 4 * ndims;
  if (buf.length < header) throw rangeError(action, `it must hold the ${header}-byte header`, buf.length);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  if (expect.inner) {
    const inner = dims.slice(1);
    if (inner.length !== expect.inner.length || inner.some((d, i) => d !== expect.inner?.[i])) {
      throw rangeError(action, `its dimensions must be [n, ${expect.inner.join(', ')}]`, dims);
    }
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const have = buf.length - header;
  if (have !== count) {
    const what = have < count ? 'it is truncated' : 'it has trailing bytes';
    throw rangeError(action, `its data must be ${count} bytes for dimensions [${dims.join(', ')}] (${what})`, have);
  }
  return { path, dims, data: buf.subarray(header) };
}

/**
 * Reads an idx file (plain or gzipped) with {@link parseIdx}.
 * @throws the file system's error when the file cannot be read, RangeError when it is not valid idx.
 */
export async function readIdx(path: string, expect: IdxExpectation = {}): Promise<IdxArray> {
  return parseIdx(await readFile(path), path, expect);
}
