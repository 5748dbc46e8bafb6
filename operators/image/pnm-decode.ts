/**
 * Binary Netpbm images for `decode`: `P5` (PGM, grey) and `P6` (PPM, RGB), with any maxval
 * (1..65535; samples are scaled to 0..255, rounding). sharp's prebuilt binaries cannot read them,
 * and they are simple enough to parse here. ASCII (`P2`/`P3`) and bitmap (`P1`/`P4`) variants are
 * not supported.
 */

/** True when the bytes start like a binary PGM or PPM (`P5`/`P6` then whitespace). */
export function isPnm(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x50 && (bytes[1] === 0x35 || bytes[1] === 0x36) && isSpace(bytes[2]);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** A parsed PNM header: size, channels (1 or 3), maxval, and where the samples start. */
export interface PnmHeader {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly maxval: number;
  readonly offset: number;
}

/** Reads a `P5`/`P6` header (three numbers, `#` comments allowed); throws when malformed. */
export function readPnmHeader(bytes: Uint8Array): PnmHeader {
  if (!isPnm(bytes)) throw new Error('not a binary PGM/PPM (expected P5 or P6)');
  const channels = bytes[1] === 0x35 ? 1 : 3;
  let o = 2;
  const numbers: number[] = [];
  while (numbers.length < 3) {
    while (o < bytes.length && (isSpace(bytes[o]) || bytes[o] === 0x23)) {
      if (bytes[o] === 0x23) while (o < bytes.length && bytes[o] !== 0x0a && bytes[o] !== 0x0d) o++;
      else o++;
    }
    let n = 0;
    let digits = 0;
    while (o < bytes.length && bytes[o] >= 0x30 && bytes[o] <= 0x39) {
      n = n * 10 + (bytes[o] - 0x30);
      digits++;
      o++;
      if (digits > 9) throw new Error('malformed PGM/PPM header (a number is too long)');
    }
    if (digits === 0) throw new Error('malformed PGM/PPM header (expected width, height and maxval)');
    numbers.push(n);
  }
  // Exactly one whitespace byte separates maxval from the samples.
  if (o >= bytes.length || !isSpace(bytes[o])) throw new Error('malformed PGM/PPM header (no whitespace after maxval)');
  const [width, height, maxval] = numbers;
  if (width === 0 || height === 0) throw new Error(`malformed PGM/PPM (size ${width} x ${height})`);
  if (maxval === 0 || maxval > 65535) throw new Error(`malformed PGM/PPM (maxval ${maxval})`);
  return { width, height, channels, maxval, offset: o + 1 };
}

/** Decodes the samples after a header into 8-bit interleaved pixels (the file's channels). */
export function decodePnmSamples(bytes: Uint8Array, header: PnmHeader): Uint8Array {
  const count = header.width * header.height * header.channels;
  const wide = header.maxval > 255;
  const needed = count * (wide ? 2 : 1);
  if (bytes.length - header.offset < needed)
    throw new Error(`truncated PGM/PPM (${bytes.length - header.offset} bytes of samples, ${needed} needed)`);
  const src = bytes.subarray(header.offset, header.offset + needed);
  if (header.maxval === 255) return new Uint8Array(src);
  const out = new Uint8Array(count);
  const m = header.maxval;
  for (let i = 0; i < count; i++) {
    const v = wide ? (src[2 * i] << 8) | src[2 * i + 1] : src[i];
    if (v > m) throw new Error(`corrupt PGM/PPM (sample ${v} above maxval ${m})`);
    out[i] = Math.round((v * 255) / m);
  }
  return out;
}
