import { inflateSync } from 'node:zlib';
import { rangeError } from '../errors.js';

/** One numeric array of a MAT-file, as {@link readMat5} returns it. */
export interface MatArray {
  /** The variable's name (`X`, `y`). */
  readonly name: string;
  /** Its dimensions, MATLAB's (column-major: element (i, j, k, ...) is at i + d0 * (j + d1 * (k + ...))). */
  readonly dims: readonly number[];
  /** The values in MATLAB's column-major order: `Uint8Array` for uint8 arrays, else `Float64Array`. */
  readonly data: Uint8Array | Float64Array;
}

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13 };
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;
const MX_UINT8_CLASS = 9;
/** mxCLASS ids of numeric arrays (double, single, int8..uint64). */
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

/**
 * Reads the numeric arrays of a MATLAB level-5 MAT-file (the format of SVHN's `train_32x32.mat` /
 * `test_32x32.mat`, `X` uint8 `[32, 32, 3, N]` and `y` double `[N, 1]`), little-endian, with
 * compressed (`miCOMPRESSED`, zlib) or plain `miMATRIX` elements and small data elements; each
 * array's stored type (MATLAB stores doubles in a smaller integer type when they fit) is widened to
 * its class. Real, non-sparse numeric arrays only; cells, structs, chars, sparse and complex arrays
 * are skipped (not returned). Deterministic.
 *
 * @param what names the file in errors.
 * @throws RangeError for a file that is not a little-endian level-5 MAT-file or is cut short.
 */
export function readMat5(bytes: Uint8Array, what = 'the MAT-file'): Map<string, MatArray> {
  const action = `read ${what}`;
  if (bytes.length < 128) throw rangeError(action, 'it must have the 128-byte MAT-file header', bytes.length);
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 10));
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (!head.startsWith('MATLAB 5.0') || endian !== 'IM')
    throw rangeError(action, 'it must be a little-endian MATLAB 5.0 MAT-file (v7.3 files are HDF5: not read)', head);
  const out = new Map<string, MatArray>();
  const walk = (buf: Uint8Array, from: number): void => {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let at = from;
    while (at + 8 <= buf.length) {
      const { type, size, dataAt, next } = tag(view, at, action);
      if (dataAt + size > buf.length) throw rangeError(action, 'an element must fit in the file (it is cut short)', at);
      if (type === MI_COMPRESSED) walk(inflateSync(buf.subarray(dataAt, dataAt + size)), 0);
      else if (type === MI_MATRIX) {
        const array = matrix(buf.subarray(dataAt, dataAt + size), action);
        if (array !== null) out.set(array.name, array);
      }
      at = type === MI_COMPRESSED ? dataAt + size : next;
    }
  };
  walk(bytes, 128);
  return out;
}

/** A data element's tag at `at`: its type, byte size, where its data starts and where the next element starts. */
function tag(view: DataView, at: number, action: string): { type: number; size: number; dataAt: number; next: number } {
  const first = view.getUint32(at, true);
  if (first >>> 16 !== 0) return { type: first & 0xffff, size: first >>> 16, dataAt: at + 4, next: at + 8 };
  if (at + 8 > view.byteLength) throw rangeError(action, 'a tag must fit in the file', at);
  const size = view.getUint32(at + 4, true);
  return { type: first, size, dataAt: at + 8, next: at + 8 + Math.ceil(size / 8) * 8 };
}

function matrix(buf: Uint8Array, action: string): MatArray | null {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const parts: { type: number; bytes: Uint8Array }[] = [];
  let at = 0;
  while (at + 8 <= buf.length && parts.length < 5) {
    const t = tag(view, at, action);
    parts.push({ type: t.type, bytes: buf.subarray(t.dataAt, t.dataAt + t.size) });
    at = t.next;
  }
  const [flags, dims, name, real] = parts;
  if (flags === undefined || dims === undefined || name === undefined) return null;
  const cls = flags.bytes[0]!;
  const complex = (flags.bytes[1]! & 0x08) !== 0;
  if (!NUMERIC_CLASSES.has(cls) || complex || real === undefined) return null;
  const dimView = new DataView(dims.bytes.buffer, dims.bytes.byteOffset, dims.bytes.byteLength);
  const shape = Array.from({ length: dims.bytes.length / 4 }, (_, i) => dimView.getInt32(4 * i, true));
  const count = shape.reduce((a, b) => a * b, 1);
  const values = numbers(real.type, real.bytes, action);
  if (values.length !== count)
    throw rangeError(action, `array ${new TextDecoder().decode(name.bytes)} must hold ${count} values`, values.length);
  const data = cls === MX_UINT8_CLASS && values instanceof Uint8Array ? values : Float64Array.from(values);
  return { name: new TextDecoder('latin1').decode(name.bytes), dims: shape, data };
}

function numbers(type: number, bytes: Uint8Array, action: string): Uint8Array | ArrayLike<number> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (size: number, get: (o: number) => number) =>
    Float64Array.from({ length: bytes.length / size }, (_, i) => get(i * size));
  switch (type) {
    case MI.UINT8:
      return bytes;
    case MI.INT8:
      return read(1, (o) => v.getInt8(o));
    case MI.INT16:
      return read(2, (o) => v.getInt16(o, true));
    case MI.UINT16:
      return read(2, (o) => v.getUint16(o, true));
    case MI.INT32:
      return read(4, (o) => v.getInt32(o, true));
    case MI.UINT32:
      return read(4, (o) => v.getUint32(o, true));
    case MI.SINGLE:
      return read(4, (o) => v.getFloat32(o, true));
    case MI.DOUBLE:
      return read(8, (o) => v.getFloat64(o, true));
    case MI.INT64:
      return read(8, (o) => Number(v.getBigInt64(o, true)));
    case MI.UINT64:
      return read(8, (o) => Number(v.getBigUint64(o, true)));
    default:
      throw rangeError(action, 'an array must hold numbers (miINT8..miUINT64, miSINGLE, miDOUBLE)', type);
  }
}
