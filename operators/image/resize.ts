/**
 * Bilinear resampling of a window of an HWC image, as Pillow's `Image.resize(size, BILINEAR)`
 * (which is what torchvision's `RandomResizedCrop` runs on PIL images): a separable triangle
 * filter whose support widens with the reduction factor (antialiased when shrinking), pixel
 * centres aligned, weights renormalised at the edges. For `Uint8Array` data it follows Pillow's
 * 8-bit path bit for bit: coefficients in 22-bit fixed point, the horizontal pass first, rounded
 * and clamped to 8 bits, then the vertical pass. `Float32Array` data uses the same weights in
 * floating point (no rounding). One monomorphic loop per element type; no per-pixel allocation.
 */

/** The window to resample (inside the image). */
export interface ResizeBox {
  readonly top: number;
  readonly left: number;
  readonly h: number;
  readonly w: number;
}

/**
 * A fractional window inside the box, relative to its top-left corner (Pillow's float `box`): the
 * resampling maps [x0, x1) x [y0, y1) to the output, reading only pixels of the box.
 */
export interface SubSpan {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);
const CLIP_HIGH = 256 << PRECISION_BITS; // 2^30: sums at or above clip to 255

/** Per output position: first input index, number of taps, and `ksize` weights (normalised). */
interface Coefficients {
  readonly ksize: number;
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly weights: Float64Array;
}

/**
 * Pillow's `precompute_coeffs` for the bilinear filter (support 1): the span [in0, in1) of an input
 * of `inSize` pixels (the whole input unless a fractional box is given) to outSize.
 */
function coefficients(inSize: number, outSize: number, in0 = 0, in1 = inSize): Coefficients {
  const scale = (in1 - in0) / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = filterScale; // bilinear support 1.0 x filterScale
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let total = 0;
    const base = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      let t = (x + xmin - center + 0.5) * ss;
      if (t < 0) t = -t;
      const w = t < 1 ? 1 - t : 0;
      weights[base + x] = w;
      total += w;
    }
    if (total !== 0) for (let x = 0; x < xmax; x++) weights[base + x] = weights[base + x] / total;
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, first, count, weights };
}

/** Pillow's `normalize_coeffs_8bpc`: weights to 22-bit fixed point, rounded half away from zero. */
function fixedPoint(weights: Float64Array): Int32Array {
  const out = new Int32Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] * (1 << PRECISION_BITS);
    out[i] = w < 0 ? Math.trunc(w - 0.5) : Math.trunc(w + 0.5);
  }
  return out;
}

function clip8(sum: number): number {
  if (sum >= CLIP_HIGH) return 255;
  if (sum <= 0) return 0;
  return sum >> PRECISION_BITS;
}

/**
 * Resamples `box` of the `H` x `W` x `C` image `src` to `outH` x `outW` (bilinear, as Pillow).
 * Returns a new array of `outH * outW * C` of the same element type.
 */
export function resizeBilinear<A extends Uint8Array | Float32Array>(
  src: A,
  W: number,
  C: number,
  box: ResizeBox,
  outH: number,
  outW: number,
  span?: SubSpan,
): A {
  const horizontal = span ? coefficients(box.w, outW, span.x0, span.x1) : coefficients(box.w, outW);
  const vertical = span ? coefficients(box.h, outH, span.y0, span.y1) : coefficients(box.h, outH);
  const needH = span !== undefined || outW !== box.w;
  const needV = span !== undefined || outH !== box.h;
  // Rows of the box the vertical pass reads (all of them unless shrinking leaves edges unused).
  const firstRow = vertical.first[0];
  const lastRow = vertical.first[outH - 1] + vertical.count[outH - 1];
  if (src instanceof Float32Array) {
    const f32: Float32Array = src;
    const tmp = needH
      ? horizontalFloat(f32, W, C, box, firstRow, lastRow, horizontal, outW)
      : copyBox(f32, new Float32Array(box.w * (lastRow - firstRow) * C), W, C, box, firstRow, lastRow);
    return (needV ? verticalFloat(tmp, outW, C, vertical, firstRow, outH) : tmp) as A;
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed: TypeScript does not narrow the type parameter A to Uint8Array by excluding Float32Array above
  const u8 = src as Uint8Array;
  const tmp = needH
    ? horizontal8(u8, W, C, box, firstRow, lastRow, horizontal, fixedPoint(horizontal.weights), outW)
    : copyBox(u8, new Uint8Array(box.w * (lastRow - firstRow) * C), W, C, box, firstRow, lastRow);
  return (needV ? vertical8(tmp, outW, C, vertical, fixedPoint(vertical.weights), firstRow, outH) : tmp) as A;
}

/** Rows [firstRow, lastRow) of the box, copied out (when no horizontal pass is needed). */
function copyBox<A extends Uint8Array | Float32Array>(
  src: A,
  dst: A,
  W: number,
  C: number,
  box: ResizeBox,
  firstRow: number,
  lastRow: number,
): A {
  const rowLength = box.w * C;
  for (let y = firstRow; y < lastRow; y++) {
    const from = ((box.top + y) * W + box.left) * C;
    dst.set(src.subarray(from, from + rowLength), (y - firstRow) * rowLength);
  }
  return dst;
}

function horizontal8(
  src: Uint8Array,
  W: number,
  C: number,
  box: ResizeBox,
  firstRow: number,
  lastRow: number,
  co: Coefficients,
  k: Int32Array,
  outW: number,
): Uint8Array {
  const out = new Uint8Array(outW * (lastRow - firstRow) * C);
  const { ksize, first, count } = co;
  let o = 0;
  for (let y = firstRow; y < lastRow; y++) {
    const row = ((box.top + y) * W + box.left) * C;
    if (C === 3) {
      for (let xx = 0; xx < outW; xx++) {
        const n = count[xx];
        const kb = xx * ksize;
        let p = row + first[xx] * 3;
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (let x = 0; x < n; x++, p += 3) {
          const w = k[kb + x];
          s0 += src[p] * w;
          s1 += src[p + 1] * w;
          s2 += src[p + 2] * w;
        }
        out[o++] = clip8(s0);
        out[o++] = clip8(s1);
        out[o++] = clip8(s2);
      }
    } else if (C === 1) {
      for (let xx = 0; xx < outW; xx++) {
        const n = count[xx];
        const kb = xx * ksize;
        const p = row + first[xx];
        let s = HALF;
        for (let x = 0; x < n; x++) s += src[p + x] * k[kb + x];
        out[o++] = clip8(s);
      }
    } else {
      for (let xx = 0; xx < outW; xx++) {
        const n = count[xx];
        const kb = xx * ksize;
        const p = row + first[xx] * C;
        for (let c = 0; c < C; c++) {
          let s = HALF;
          for (let x = 0; x < n; x++) s += src[p + x * C + c] * k[kb + x];
          out[o++] = clip8(s);
        }
      }
    }
  }
  return out;
}

function vertical8(
  src: Uint8Array,
  outW: number,
  C: number,
  co: Coefficients,
  k: Int32Array,
  firstRow: number,
  outH: number,
): Uint8Array {
  const rowLength = outW * C;
  const out = new Uint8Array(outH * rowLength);
  const { ksize, first, count } = co;
  for (let yy = 0; yy < outH; yy++) {
    const n = count[yy];
    const kb = yy * ksize;
    const top = (first[yy] - firstRow) * rowLength;
    const o = yy * rowLength;
    for (let i = 0; i < rowLength; i++) {
      let s = HALF;
      for (let y = 0, p = top + i; y < n; y++, p += rowLength) s += src[p] * k[kb + y];
      out[o + i] = clip8(s);
    }
  }
  return out;
}

function horizontalFloat(
  src: Float32Array,
  W: number,
  C: number,
  box: ResizeBox,
  firstRow: number,
  lastRow: number,
  co: Coefficients,
  outW: number,
): Float32Array {
  const out = new Float32Array(outW * (lastRow - firstRow) * C);
  const { ksize, first, count, weights } = co;
  let o = 0;
  for (let y = firstRow; y < lastRow; y++) {
    const row = ((box.top + y) * W + box.left) * C;
    for (let xx = 0; xx < outW; xx++) {
      const n = count[xx];
      const kb = xx * ksize;
      const p = row + first[xx] * C;
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let x = 0; x < n; x++) s += src[p + x * C + c] * weights[kb + x];
        out[o++] = s;
      }
    }
  }
  return out;
}

function verticalFloat(
  src: Float32Array,
  outW: number,
  C: number,
  co: Coefficients,
  firstRow: number,
  outH: number,
): Float32Array {
  const rowLength = outW * C;
  const out = new Float32Array(outH * rowLength);
  const { ksize, first, count, weights } = co;
  for (let yy = 0; yy < outH; yy++) {
    const n = count[yy];
    const kb = yy * ksize;
    const top = (first[yy] - firstRow) * rowLength;
    const o = yy * rowLength;
    for (let i = 0; i < rowLength; i++) {
      let s = 0;
      for (let y = 0, p = top + i; y < n; y++, p += rowLength) s += src[p] * weights[kb + y];
      out[o + i] = s;
    }
  }
  return out;
}
