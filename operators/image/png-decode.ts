import { inflateSync } from 'node:zlib';

/**
 * PNG internals for `decode`: reading the header (to refuse decompression bombs before any pixel
 * is inflated), walking the chunks, and a synchronous decoder for the common small case (8-bit,
 * non-interlaced grey, grey+alpha, RGB or RGBA, no palette, transparency chunk or ICC profile),
 * which avoids sharp's per-call overhead on tiny images such as 28 x 28 Fashion-MNIST digits.
 * Its pixels equal sharp's for every image it accepts (checked in the decode tests); anything else
 * is left to sharp.
 */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/** True when the bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) return false;
  return true;
}

/** The IHDR fields of a PNG. */
export interface PngHeader {
  /** Pixels per row (1..2^31-1). */
  readonly width: number;
  /** Rows (1..2^31-1). */
  readonly height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  readonly depth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  readonly colorType: number;
  /** 0 none, 1 Adam7. */
  readonly interlace: number;
}

const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** Reads the IHDR chunk (the first 33 bytes) without looking further; throws on a malformed header. */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (!isPng(bytes)) throw new Error('not a PNG (bad signature)');
  if (bytes.length < 33) throw new Error(`truncated PNG header (${bytes.length} bytes)`);
  // length 13, type IHDR
  if (u32(bytes, 8) !== 13 || bytes[12] !== 0x49 || bytes[13] !== 0x48 || bytes[14] !== 0x44 || bytes[15] !== 0x52) {
    throw new Error('malformed PNG (the first chunk is not a 13-byte IHDR)');
  }
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  const depth = bytes[24];
  const colorType = bytes[25];
  const interlace = bytes[28];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff)
    throw new Error(`malformed PNG (size ${width} x ${height})`);
  if (![0, 2, 3, 4, 6].includes(colorType)) throw new Error(`malformed PNG (colour type ${colorType})`);
  if (![1, 2, 4, 8, 16].includes(depth)) throw new Error(`malformed PNG (bit depth ${depth})`);
  if (interlace > 1) throw new Error(`malformed PNG (interlace method ${interlace})`);
  return { width, height, depth, colorType, interlace };
}

/** What the chunk walk found besides the header. */
export interface PngChunks {
  /** The IDAT payloads in order (views into the input). */
  readonly idat: readonly Uint8Array[];
  /** Total IDAT bytes. */
  readonly idatLength: number;
  /** Chunks that make sharp's pixels differ from the raw samples (PLTE, tRNS, iCCP) were found. */
  readonly needsColourHandling: boolean;
  /** A tRNS chunk (transparency without an alpha channel) was found. */
  readonly hasTransparency: boolean;
}

/** Walks the chunks after IHDR up to IEND; throws when a chunk runs past the end or IEND is missing. */
export function readPngChunks(bytes: Uint8Array): PngChunks {
  const idat: Uint8Array[] = [];
  let idatLength = 0;
  let needsColourHandling = false;
  let hasTransparency = false;
  let o = 33;
  for (;;) {
    if (o + 12 > bytes.length) throw new Error('truncated PNG (no IEND chunk)');
    const length = u32(bytes, o);
    const end = o + 12 + length;
    if (length > 0x7fffffff || end > bytes.length)
      throw new Error('truncated PNG (a chunk runs past the end of the file)');
    const t0 = bytes[o + 4];
    const t1 = bytes[o + 5];
    const t2 = bytes[o + 6];
    const t3 = bytes[o + 7];
    if (t0 === 0x49 && t1 === 0x44 && t2 === 0x41 && t3 === 0x54) {
      // IDAT
      idat.push(bytes.subarray(o + 8, o + 8 + length));
      idatLength += length;
    } else if (t0 === 0x49 && t1 === 0x45 && t2 === 0x4e && t3 === 0x44) {
      // IEND
      break;
    } else if (t0 === 0x74 && t1 === 0x52 && t2 === 0x4e && t3 === 0x53) {
      // tRNS
      hasTransparency = true;
      needsColourHandling = true;
    } else if (
      (t0 === 0x50 && t1 === 0x4c && t2 === 0x54 && t3 === 0x45) ||
      (t0 === 0x69 && t1 === 0x43 && t2 === 0x43 && t3 === 0x50)
    ) {
      // PLTE, iCCP
      needsColourHandling = true;
    }
    o = end;
  }
  if (idat.length === 0) throw new Error('malformed PNG (no IDAT chunk)');
  return { idat, idatLength, needsColourHandling, hasTransparency };
}

/** Samples per pixel of a colour type (palette: 1 index). */
export function pngChannels(colorType: number): number {
  return colorType === 0 || colorType === 3 ? 1 : colorType === 4 ? 2 : colorType === 2 ? 3 : 4;
}

/** How `decode` wants the channels: the file's own, always RGB, or always grey. */
export type ImageMode = 'rgb' | 'gray' | 'keep';

/**
 * True when {@link decodePngSync} can decode this PNG into `mode` with the same pixels as sharp:
 * 8-bit, not interlaced, no palette/tRNS/iCCP, and no colour conversion other than copying grey
 * into three channels or dropping alpha (RGB to grey is left to sharp, whose luminance is gamma-aware).
 */
export function pngFastPathApplies(header: PngHeader, chunks: PngChunks, mode: ImageMode): boolean {
  if (header.depth !== 8 || header.interlace !== 0 || chunks.needsColourHandling) return false;
  const ct = header.colorType;
  if (ct === 3) return false;
  if (mode === 'gray') return ct === 0 || ct === 4;
  return true;
}

/**
 * What {@link decodePngSync} returns: interleaved HWC bytes and their shape. Structurally a
 * `sources/sample.ts` `Image`; declared here because `operators/image/` is its own TypeScript project
 * (see its tsconfig.json) and imports nothing outside the folder.
 */
export interface DecodedPng {
  readonly data: Uint8Array;
  /** [height, width, channels] */
  readonly shape: readonly [number, number, number];
}

/**
 * Decodes an 8-bit non-interlaced PNG synchronously (zlib inflate + unfilter) into `mode`'s
 * channels. The caller has checked {@link pngFastPathApplies} and the pixel limit. Throws on
 * corrupt data (bad zlib stream, too little or too much image data, a bad filter type).
 */
export function decodePngSync(header: PngHeader, chunks: PngChunks, mode: ImageMode): DecodedPng {
  const { width, height, colorType } = header;
  const bpp = pngChannels(colorType);
  const stride = width * bpp;
  const expected = height * (stride + 1);
  const input = chunks.idat.length === 1 ? chunks.idat[0] : concat(chunks.idat, chunks.idatLength);
  let raw: Uint8Array;
  try {
    raw = inflateSync(input, { chunkSize: Math.max(64, expected), maxOutputLength: expected });
  } catch (error) {
    if (error instanceof RangeError)
      throw new Error(`corrupt PNG (more image data than ${width} x ${height} needs)`, { cause: error });
    throw new Error(`corrupt PNG (${(error as Error).message})`, { cause: error });
  }
  if (raw.length !== expected) throw new Error(`corrupt PNG (${raw.length} bytes of image data, ${expected} needed)`);
  unfilter(raw, height, stride, bpp);
  const outChannels = mode === 'keep' ? bpp : mode === 'rgb' ? 3 : 1;
  const out = new Uint8Array(width * height * outChannels);
  if (outChannels === bpp) {
    for (let y = 0; y < height; y++) {
      const s = y * (stride + 1) + 1;
      out.set(raw.subarray(s, s + stride), y * stride);
    }
  } else {
    // Grey (1, 2) to RGB (3); RGBA (4) to RGB (3); grey+alpha (2) to grey (1): copy the colour samples, drop alpha.
    const greyIn = bpp <= 2;
    let d = 0;
    for (let y = 0; y < height; y++) {
      let s = y * (stride + 1) + 1;
      const rowEnd = s + stride;
      if (greyIn && outChannels === 3) {
        for (; s < rowEnd; s += bpp) {
          const v = raw[s];
          out[d] = v;
          out[d + 1] = v;
          out[d + 2] = v;
          d += 3;
        }
      } else if (outChannels === 3) {
        for (; s < rowEnd; s += 4) {
          out[d] = raw[s];
          out[d + 1] = raw[s + 1];
          out[d + 2] = raw[s + 2];
          d += 3;
        }
      } else {
        for (; s < rowEnd; s += bpp) out[d++] = raw[s];
      }
    }
  }
  return { data: out, shape: [height, width, outChannels] };
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Reverses the PNG row filters in place (each row: one filter byte, then `stride` bytes). */
function unfilter(buf: Uint8Array, height: number, stride: number, bpp: number): void {
  const rowLength = stride + 1;
  for (let y = 0; y < height; y++) {
    const start = y * rowLength + 1;
    const end = start + stride;
    const filter = buf[start - 1];
    const hasUp = y > 0;
    const up = start - rowLength; // the previous row's first sample (meaningless when !hasUp)
    switch (filter) {
      case 0:
        break;
      case 1: // Sub
        for (let i = start + bpp; i < end; i++) buf[i] += buf[i - bpp];
        break;
      case 2: // Up
        if (hasUp) for (let i = start, j = up; i < end; i++, j++) buf[i] += buf[j];
        break;
      case 3: // Average
        if (hasUp) {
          for (let i = start, j = up; i < start + bpp; i++, j++) buf[i] += buf[j] >> 1;
          for (let i = start + bpp, j = up + bpp; i < end; i++, j++) buf[i] += (buf[i - bpp] + buf[j]) >> 1;
        } else {
          for (let i = start + bpp; i < end; i++) buf[i] += buf[i - bpp] >> 1;
        }
        break;
      case 4: // Paeth
        if (hasUp) {
          for (let i = start, j = up; i < start + bpp; i++, j++) buf[i] += buf[j];
          for (let i = start + bpp, j = up + bpp; i < end; i++, j++) {
            const a = buf[i - bpp];
            const b = buf[j];
            const c = buf[j - bpp];
            const p = a + b - c;
            const pa = p > a ? p - a : a - p;
            const pb = p > b ? p - b : b - p;
            const pc = p > c ? p - c : c - p;
            buf[i] += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          }
        } else {
          // With no previous row, Paeth predicts the left neighbour (Sub).
          for (let i = start + bpp; i < end; i++) buf[i] += buf[i - bpp];
        }
        break;
      default:
        throw new Error(`corrupt PNG (filter type ${filter} in row ${y})`);
    }
  }
}
