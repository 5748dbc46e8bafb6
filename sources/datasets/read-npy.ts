import { rangeError } from '../errors.js';

/** An array read by {@link readNpy}: its values in C (row-major) order. */
export interface NpyArray {
  /** The numpy dtype as written (`'|u1'`, `'<f4'`, `'<i8'`, ...). */
  readonly dtype: string;
  /** The shape, e.g. `[50000, 32, 32, 3]` for a CIFAR-10-C file. */
  readonly shape: readonly number[];
  /** The values: `Uint8Array` for `u1`, `Int8Array` for `i1`, `Float32Array` for `f4`, else `Float64Array`. */
  readonly data: Uint8Array | Int8Array | Float32Array | Float64Array;
}

/**
 * Reads a NumPy `.npy` file (format versions 1, 2 and 3: magic `\x93NUMPY`, a little-endian header
 * length, a Python-literal header dict) holding a C-ordered array of `u1`, `i1`, little-endian
 * `u2`/`i2`/`u4`/`i4`/`u8`/`i8`/`f4`/`f8` (CIFAR-10-C's images are `|u1` `[50000, 32, 32, 3]`, its
 * `labels.npy` `<i8` or `|u1`). 64-bit integers are returned as doubles (exact below 2^53). Uint8 and
 * float32 data are views of `bytes` when aligned (no copy). Deterministic.
 *
 * @param what names the file in errors.
 * @throws RangeError for a file that is not `.npy`, a Fortran-ordered or object array, an unknown or
 *   big-endian dtype, or a data section of the wrong size.
 */
export function readNpy(bytes: Uint8Array, what = 'the .npy file'): NpyArray {
  const action = `read ${what}`;
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b))
    throw rangeError(action, 'it must start with the .npy magic "\\x93NUMPY"', Array.from(bytes.subarray(0, 6)));
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (major < 1 || major > 3) throw rangeError(action, 'its format version must be 1, 2 or 3', major);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw rangeError(action, 'its header must give descr, fortran_order and shape', header.trim());
  if (fortran === 'True') throw rangeError(action, 'its array must be C-ordered (fortran_order False)', header.trim());
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const match = /^([<>|=])([uif])(\d+)$/.exec(descr);
  const size = match === null ? 0 : Number(match[3]);
  if (match === null || !['1', '2', '4', '8'].includes(match[3]!) || (match[2] === 'f' && size < 4))
    throw rangeError(action, 'its dtype must be an integer or float32/float64 type', descr);
  if (match[1] === '>' && size > 1) throw rangeError(action, 'its dtype must be little-endian', descr);
  const offset = start + headerLength;
  if (bytes.length - offset !== count * size)
    throw rangeError(
      action,
      `its data must hold ${count} x ${size} bytes for shape (${shape.join(', ')})`,
      bytes.length - offset,
    );
  const kind = match[2]!;
  const at = bytes.byteOffset + offset;
  if (kind === 'u' && size === 1) return { dtype: descr, shape, data: bytes.subarray(offset) };
  if (kind === 'i' && size === 1) return { dtype: descr, shape, data: new Int8Array(bytes.buffer, at, count) };
  if (kind === 'f' && size === 4) {
    const data =
      at % 4 === 0
        ? new Float32Array(bytes.buffer, at, count)
        : Float32Array.from({ length: count }, (_, i) => view.getFloat32(offset + 4 * i, true));
    return { dtype: descr, shape, data };
  }
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const o = offset + i * size;
    if (kind === 'f') data[i] = view.getFloat64(o, true);
    else if (size === 2) data[i] = kind === 'u' ? view.getUint16(o, true) : view.getInt16(o, true);
    else if (size === 4) data[i] = kind === 'u' ? view.getUint32(o, true) : view.getInt32(o, true);
    else data[i] = Number(kind === 'u' ? view.getBigUint64(o, true) : view.getBigInt64(o, true));
  }
  return { dtype: descr, shape, data };
}
