/**
 * Horizontal mirroring of HWC pixel rows, shared by `randomFlip` and `decode({randomFlip})`.
 * One monomorphic loop per element type and channel count (a loop over a `Uint8Array |
 * Float32Array` union runs about 2x slower).
 */

/** Writes each row of `src` with its pixels in reverse order into `dst` (another array); returns `dst`. */
export function mirrorRows<A extends Uint8Array | Float32Array>(src: A, dst: A, H: number, W: number, C: number): A {
  const rowLength = W * C;
  for (let y = 0; y < H; y++) {
    const row = y * rowLength;
    if (C === 3) {
      for (let to = row, from = row + rowLength - 3; to < row + rowLength; to += 3, from -= 3) {
        dst[to] = src[from];
        dst[to + 1] = src[from + 1];
        dst[to + 2] = src[from + 2];
      }
    } else if (C === 1) {
      for (let to = row, from = row + rowLength - 1; to < row + rowLength; to++, from--) dst[to] = src[from];
    } else {
      for (let x = 0; x < W; x++) {
        const to = row + x * C;
        const from = row + (W - 1 - x) * C;
        for (let c = 0; c < C; c++) dst[to + c] = src[from + c];
      }
    }
  }
  return dst;
}

/** Mirrors each row of `data` in place (for pixels the caller owns); returns `data`. */
export function mirrorRowsInPlace<A extends Uint8Array | Float32Array>(data: A, H: number, W: number, C: number): A {
  const rowLength = W * C;
  for (let y = 0; y < H; y++) {
    let a = y * rowLength;
    let b = a + rowLength - C;
    for (; a < b; a += C, b -= C) {
      for (let c = 0; c < C; c++) {
        const t = data[a + c];
        data[a + c] = data[b + c];
        data[b + c] = t;
      }
    }
  }
  return data;
}

/**
 * Reverses each of the `rows` rows (`rowLength` elements) of `data` in place, natively: a horizontal
 * mirror when the pixels have one channel, or their channels stored in reverse order (a BGR decode
 * mirrored this way is the RGB image mirrored). Returns `data`.
 */
export function reverseRowsInPlace<A extends Uint8Array>(data: A, rows: number, rowLength: number): A {
  for (let y = 0; y < rows; y++) data.subarray(y * rowLength, (y + 1) * rowLength).reverse();
  return data;
}
