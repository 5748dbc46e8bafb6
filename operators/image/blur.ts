/**
 * Gaussian blur of HWC pixels as torchvision's `gaussian_blur` (`transforms.GaussianBlur`): a
 * normalised Gaussian kernel of odd size `k` sampled at integer offsets `-(k-1)/2 .. (k-1)/2`,
 * the image padded by reflection (`reflect`: the edge pixel is not repeated), and for 8-bit data the
 * result rounded half to even (as `torch.round`). The 2-D kernel is the outer product of the 1-D
 * one, so the blur runs as two 1-D passes (rows, then columns) with a float intermediate: the same
 * result up to float rounding (at most 1 level on 8-bit data, where a sum falls near a .5). The
 * kernel's symmetry halves the multiplies; no per-pixel allocation.
 */

/** torchvision's `_get_gaussian_kernel1d`: `exp(-x^2 / (2 sigma^2))` at the integer offsets, normalised. */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  const kernel = new Float64Array(size);
  const half = (size - 1) / 2;
  let total = 0;
  for (let i = 0; i < size; i++) {
    const x = (i - half) / sigma;
    const v = Math.exp(-0.5 * x * x);
    kernel[i] = v;
    total += v;
  }
  for (let i = 0; i < size; i++) kernel[i] = kernel[i] / total;
  return kernel;
}

/** The default kernel size for a sigma: the odd size that covers +-3 sigma, `2 * ceil(3 * sigma) + 1`. */
export function defaultKernelSize(sigma: number): number {
  return 2 * Math.ceil(3 * sigma) + 1;
}

/**
 * Index of position `i` (any integer) of a line of `n` samples padded by reflection without
 * repeating the edge (numpy/torch `reflect`), folded as often as needed (a kernel wider than the
 * image reflects again from the far edge; torch refuses padding >= n, we keep going).
 */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

/**
 * Blurs the `H` x `W` x `C` image `src` with the symmetric 1-D `kernel` (odd length) along both
 * axes; returns a new array of the same element type (8-bit: rounded half to even and clamped,
 * which is what a `Uint8ClampedArray` store does; float: as computed).
 */
export function blurSeparable<A extends Uint8Array | Float32Array>(
  src: A,
  H: number,
  W: number,
  C: number,
  kernel: Float64Array,
): A {
  const r = (kernel.length - 1) >> 1;
  const padded = new Float32Array((W + 2 * r) * C);
  const columns = new Int32Array(W + 2 * r);
  for (let x = 0; x < W + 2 * r; x++) columns[x] = reflectIndex(x - r, W) * C;
  const tmp = new Float32Array(H * W * C);
  for (let y = 0; y < H; y++) {
    if (src instanceof Float32Array) padRowFloat(src, padded, columns, y * W * C, C);
    else padRow8(src, padded, columns, y * W * C, C);
    blurRow(padded, tmp, y * W * C, W * C, C, kernel, r);
  }
  const rows = new Int32Array(kernel.length);
  if (src instanceof Float32Array) {
    const out = new Float32Array(H * W * C);
    for (let y = 0; y < H; y++) {
      for (let j = 0; j < kernel.length; j++) rows[j] = reflectIndex(y + j - r, H) * W * C;
      blurColumnsFloat(tmp, out, rows, y * W * C, W * C, kernel, r);
    }
    return out as A;
  }
  const out = new Uint8Array(H * W * C);
  const clamped = new Uint8ClampedArray(out.buffer);
  for (let y = 0; y < H; y++) {
    for (let j = 0; j < kernel.length; j++) rows[j] = reflectIndex(y + j - r, H) * W * C;
    blurColumns8(tmp, clamped, rows, y * W * C, W * C, kernel, r);
  }
  return out as A;
}

/** One row of 8-bit pixels, reflected by `r` pixels each side, as floats. */
function padRow8(src: Uint8Array, padded: Float32Array, columns: Int32Array, row: number, C: number): void {
  for (let x = 0, o = 0; x < columns.length; x++) {
    const from = row + columns[x];
    for (let c = 0; c < C; c++) padded[o++] = src[from + c];
  }
}

function padRowFloat(src: Float32Array, padded: Float32Array, columns: Int32Array, row: number, C: number): void {
  for (let x = 0, o = 0; x < columns.length; x++) {
    const from = row + columns[x];
    for (let c = 0; c < C; c++) padded[o++] = src[from + c];
  }
}

/** The horizontal pass over one padded row (the kernel is symmetric: one multiply per pair of taps). */
function blurRow(
  padded: Float32Array,
  tmp: Float32Array,
  row: number,
  rowLength: number,
  C: number,
  kernel: Float64Array,
  r: number,
): void {
  const centre = kernel[r];
  const last = 2 * r * C;
  for (let i = 0; i < rowLength; i++) {
    let s = centre * padded[i + r * C];
    for (let j = 0, a = i, b = i + last; j < r; j++, a += C, b -= C) s += kernel[j] * (padded[a] + padded[b]);
    tmp[row + i] = s;
  }
}

/** The vertical pass for one output row: `rows` are the offsets of the 2r+1 (reflected) input rows. */
function blurColumns8(
  tmp: Float32Array,
  out: Uint8ClampedArray,
  rows: Int32Array,
  row: number,
  rowLength: number,
  kernel: Float64Array,
  r: number,
): void {
  const centre = kernel[r];
  const mid = rows[r];
  const k = 2 * r;
  for (let i = 0; i < rowLength; i++) {
    let s = centre * tmp[mid + i];
    for (let j = 0; j < r; j++) s += kernel[j] * (tmp[rows[j] + i] + tmp[rows[k - j] + i]);
    out[row + i] = s;
  }
}

function blurColumnsFloat(
  tmp: Float32Array,
  out: Float32Array,
  rows: Int32Array,
  row: number,
  rowLength: number,
  kernel: Float64Array,
  r: number,
): void {
  const centre = kernel[r];
  const mid = rows[r];
  const k = 2 * r;
  for (let i = 0; i < rowLength; i++) {
    let s = centre * tmp[mid + i];
    for (let j = 0; j < r; j++) s += kernel[j] * (tmp[rows[j] + i] + tmp[rows[k - j] + i]);
    out[row + i] = s;
  }
}
