/**
 * Byte-level block copies for the NDA transforms. Transforms that only move pixels (jigsaw, stitch,
 * cutmix, shift) work on the bytes of the HWC data whatever its element type (a Float32 pixel is
 * just 4*C bytes), so one code path serves `Uint8Array` and `Float32Array` batches.
 *
 * Speed: copying rows of 48 bytes (a tile row of a 32 px RGB image) one `set(subarray)` call at a
 * time costs more in call overhead than in copying; a loop over 64-bit words (a `BigInt64Array`
 * view: bit-exact, unlike a `Float64Array` view whose loads may canonicalise NaN patterns) copies
 * as fast as `memcpy` once optimised, so rows are copied a word at a time with byte heads and tails
 * (rows of 512 bytes and more, and contiguous runs, by `set`).
 */

/** Views of one typed array's bytes: bytes, and 64-bit words when the data starts 8-byte aligned. */
export interface ByteViews {
  readonly u8: Uint8Array;
  /** Words over the same bytes (word `i` = bytes `8i..8i+7`), or null when the data is not 8-byte aligned. */
  readonly u64: BigInt64Array | null;
}

/** The byte and word views of a typed array's data. */
export function byteViews(data: Uint8Array | Float32Array): ByteViews {
  const { buffer, byteOffset, byteLength } = data;
  return {
    u8: new Uint8Array(buffer, byteOffset, byteLength),
    u64: byteOffset % 8 === 0 ? new BigInt64Array(buffer, byteOffset, Math.floor(byteLength / 8)) : null,
  };
}

/**
 * A typed array of the same type and length as `like`, on a fresh buffer of its own (so it can be
 * transferred to another thread), NOT zero-filled: the caller writes every element.
 */
export function allocUninitialised<A extends Uint8Array | Float32Array>(like: A): A {
  const memory = Buffer.allocUnsafeSlow(like.byteLength).buffer;
  return (
    like instanceof Float32Array ? new Float32Array(memory, 0, like.length) : new Uint8Array(memory, 0, like.length)
  ) as A;
}

/**
 * Where a transform writes its output: `into` when the caller gives one (checked: the same element
 * type and length as `like`, and not sharing memory with it), else a fresh buffer (not zero-filled).
 *
 * Why callers give one: a fresh output of a few hundred KB per call is above glibc's mmap threshold,
 * so each one is mapped, page-faulted in by the kernel and unmapped again when collected; measured
 * on a [64, 32, 32, 3] batch, that costs 130-660 us of (mostly system) CPU per call against ~2 us to
 * refill a buffer already in memory, and which of the two a run gets depends on the allocator's
 * state (the cause of the bimodal NDA benchmark).
 *
 * (This project has no access to `sources/errors.ts`, so the house message form is written out.)
 *
 * @throws TypeError when `into` is of another type or length than `like`, or overlaps it.
 */
export function outputFor<A extends Uint8Array | Float32Array>(action: string, like: A, into: A | undefined): A {
  if (into === undefined) return allocUninitialised(like);
  if (into.constructor !== like.constructor || into.length !== like.length)
    throw new TypeError(
      `Cannot ${action} as the output buffer must be a ${like.constructor.name} of ${like.length} values like the input: ` +
        `current value is a ${into.constructor.name} of ${into.length}`,
    );
  if (
    into.buffer === like.buffer &&
    into.byteOffset < like.byteOffset + like.byteLength &&
    like.byteOffset < into.byteOffset + into.byteLength
  )
    throw new TypeError(
      `Cannot ${action} as the output buffer must not overlap the input: current value is a view of the same memory`,
    );
  return into;
}

/** {@link outputFor}, holding a copy of `like`'s values (for transforms that change parts of each image). */
export function copyInto<A extends Uint8Array | Float32Array>(action: string, like: A, into: A | undefined): A {
  const out = outputFor(action, like, into);
  out.set(like);
  return out;
}

/**
 * Copies a block of `rows` rows of `rowBytes` bytes from `src` (first row at byte `srcOffset`,
 * rows `srcStride` bytes apart) to `dst` (first row at `dstOffset`, rows `dstStride` apart).
 * The two must not overlap.
 */
export function copyBlock(
  dst: ByteViews,
  dstOffset: number,
  src: ByteViews,
  srcOffset: number,
  rows: number,
  rowBytes: number,
  dstStride: number,
  srcStride: number,
): void {
  if (rows <= 0 || rowBytes <= 0) return;
  if ((rows === 1 || (rowBytes === dstStride && rowBytes === srcStride)) && rows * rowBytes >= 256) {
    // One contiguous run: memcpy.
    dst.u8.set(src.u8.subarray(srcOffset, srcOffset + rows * rowBytes), dstOffset);
  } else if (
    rowBytes < 512 &&
    dst.u64 !== null &&
    src.u64 !== null &&
    ((dstOffset ^ srcOffset) & 7) === 0 &&
    ((dstStride ^ srcStride) & 7) === 0
  ) {
    copyRowsWords(dst.u8, dst.u64, dstOffset, src.u8, src.u64, srcOffset, rows, rowBytes, dstStride, srcStride);
  } else if (rowBytes >= 32) {
    // Long rows (memcpy beats the word loop from ~400 bytes), or short ones of different alignments.
    const d = dst.u8;
    const s = src.u8;
    for (let r = 0; r < rows; r++) {
      const so = srcOffset + r * srcStride;
      d.set(s.subarray(so, so + rowBytes), dstOffset + r * dstStride);
    }
  } else {
    copyRowsBytes(dst.u8, dstOffset, src.u8, srcOffset, rows, rowBytes, dstStride, srcStride);
  }
}

/** Rows whose source and destination have the same alignment: byte head, 64-bit words, byte tail. */
function copyRowsWords(
  d8: Uint8Array,
  d64: BigInt64Array,
  dOff: number,
  s8: Uint8Array,
  s64: BigInt64Array,
  sOff: number,
  rows: number,
  rowBytes: number,
  dStride: number,
  sStride: number,
): void {
  for (let r = 0; r < rows; r++) {
    let d = dOff + r * dStride;
    let s = sOff + r * sStride;
    const end = d + rowBytes;
    let head = (8 - (d & 7)) & 7;
    if (head > rowBytes) head = rowBytes;
    for (let j = 0; j < head; j++) d8[d + j] = s8[s + j];
    d += head;
    s += head;
    const words = Math.floor((end - d) / 8);
    const dw = d / 8;
    const sw = s / 8;
    for (let j = 0; j < words; j++) d64[dw + j] = s64[sw + j];
    d += words * 8;
    s += words * 8;
    for (let j = 0; d + j < end; j++) d8[d + j] = s8[s + j];
  }
}

function copyRowsBytes(
  d8: Uint8Array,
  dOff: number,
  s8: Uint8Array,
  sOff: number,
  rows: number,
  rowBytes: number,
  dStride: number,
  sStride: number,
): void {
  for (let r = 0; r < rows; r++) {
    const d = dOff + r * dStride;
    const s = sOff + r * sStride;
    for (let j = 0; j < rowBytes; j++) d8[d + j] = s8[s + j];
  }
}
