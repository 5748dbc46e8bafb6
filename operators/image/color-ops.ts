/**
 * Colour operations on 8-bit HWC pixels, as torchvision runs them on PIL images (Pillow's
 * `ImageEnhance` and `convert`), bit for bit:
 * - luma: ITU-R 601-2, Pillow's `convert('L')`: `(R*19595 + G*38470 + B*7471 + 0x8000) >> 16`;
 * - brightness, contrast, saturation: `Image.blend(degenerate, image, factor)` with a black image,
 *   the image's mean luma (`int(mean + 0.5)`), or the image's luma; Pillow's blend computes
 *   `in1 + factor * (in2 - in1)` in single precision and truncates toward zero (clamping to
 *   [0, 255] when extrapolating);
 * - hue: torchvision's `adjust_hue` on PIL: RGB -> HSV (8-bit, Pillow's `rgb2hsv`), hue plus
 *   `trunc(factor * 255)` modulo 256, HSV -> RGB (Pillow's `hsv2rgb`).
 * Every function works in place on `data` (the caller owns it), in monomorphic loops, with no
 * per-pixel allocation. RGB functions take 3-channel data.
 */

const f32 = Math.fround;

/** Pillow's luma of one RGB pixel. */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/** Pillow's `blend` of two 8-bit values with a single-precision factor (already `fround`ed). */
function blend(in1: number, in2: number, alpha: number): number {
  const t = f32(in1 + f32(alpha * (in2 - in1)));
  return t <= 0 ? 0 : t >= 255 ? 255 : t | 0;
}

/** Maps every value through a 256-entry table, in place. */
function applyTable(data: Uint8Array, table: Uint8Array): void {
  for (let i = 0; i < data.length; i++) data[i] = table[data[i]];
}

/** `ImageEnhance.Brightness(img).enhance(factor)`: blend with black. Any channel count. */
export function adjustBrightness(data: Uint8Array, factor: number): void {
  const alpha = f32(factor);
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) table[v] = blend(0, v, alpha);
  applyTable(data, table);
}

/** `ImageEnhance.Contrast(img).enhance(factor)`: blend with the image's mean luma (`C` 1 or 3). */
export function adjustContrast(data: Uint8Array, C: 1 | 3, factor: number): void {
  let sum = 0;
  if (C === 3) for (let i = 0; i < data.length; i += 3) sum += luma(data[i], data[i + 1], data[i + 2]);
  else for (let i = 0; i < data.length; i++) sum += data[i];
  const pixels = data.length / C;
  const mean = pixels === 0 ? 0 : Math.trunc(sum / pixels + 0.5);
  const alpha = f32(factor);
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) table[v] = blend(mean, v, alpha);
  applyTable(data, table);
}

/**
 * `ImageEnhance.Color(img).enhance(factor)` on RGB: each channel blended with the pixel's luma.
 * Large images go through a 256 x 256 table of every (luma, value) blend, built per call (~0.1 ms,
 * repaid from ~20,000 pixels on: 2-4x faster at 224 px); small ones blend pixel by pixel.
 */
export function adjustSaturation(data: Uint8Array, factor: number): void {
  const alpha = f32(factor);
  if (data.length > 65536) {
    const table = new Uint8Array(65536);
    for (let l = 0; l < 256; l++) for (let v = 0; v < 256; v++) table[(l << 8) | v] = blend(l, v, alpha);
    for (let i = 0; i < data.length; i += 3) {
      const r = data[i];
      const g = data[i + 1];
      const b = data[i + 2];
      const row = luma(r, g, b) << 8;
      data[i] = table[row | r];
      data[i + 1] = table[row | g];
      data[i + 2] = table[row | b];
    }
    return;
  }
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i];
    const g = data[i + 1];
    const b = data[i + 2];
    const l = luma(r, g, b);
    data[i] = blend(l, r, alpha);
    data[i + 1] = blend(l, g, alpha);
    data[i + 2] = blend(l, b, alpha);
  }
}

/** torchvision's `adjust_hue` on an RGB PIL image, `factor` in [-0.5, 0.5]. */
export function adjustHue(data: Uint8Array, factor: number): void {
  // np.int32(hue_factor * 255).astype(np.uint8): truncation, then modulo 256
  // (torchvision converts to HSV and back even when the shift is 0: the 8-bit round trip is lossy)
  hueRoundTrip(data, ((Math.trunc(factor * 255) % 256) + 256) % 256);
}

/** Lookup tables of the HSV conversions, built on first use (~0.3 MiB, never changed). */
interface HueTables {
  /** `fround(d / cr)` at `cr * 256 + d` (Pillow's `rc`, `gc`, `bc`). */
  readonly div: Float32Array;
  /** Pillow's 8-bit saturation `trunc(fround(cr / maxc) * 255)` at `maxc * 256 + cr`. */
  readonly saturation: Uint8Array;
  /** For an 8-bit hue: its sector `floor(h * 6 / 255) % 6`, the fraction `fround(h * 6 / 255 - sector)`. */
  readonly sector: Int32Array;
  readonly fraction: Float64Array;
  /** `fround(s / 255)` for an 8-bit saturation. */
  readonly fs: Float64Array;
}

let hueTables: HueTables | undefined;

function getHueTables(): HueTables {
  if (hueTables) return hueTables;
  const div = new Float32Array(256 * 256);
  for (let cr = 1; cr < 256; cr++) for (let d = 0; d <= cr; d++) div[cr * 256 + d] = d / cr;
  const saturation = new Uint8Array(256 * 256);
  for (let m = 1; m < 256; m++) {
    for (let cr = 0; cr <= m; cr++) {
      const u = Math.trunc(f32(cr / m) * 255.0);
      saturation[m * 256 + cr] = u < 0 ? 0 : u > 255 ? 255 : u;
    }
  }
  const sector = new Int32Array(256);
  const fraction = new Float64Array(256);
  const fs = new Float64Array(256);
  for (let h = 0; h < 256; h++) {
    const i = Math.floor((h * 6.0) / 255.0);
    sector[h] = i % 6;
    fraction[h] = f32((h * 6.0) / 255.0 - i);
    fs[h] = f32(h / 255.0);
  }
  hueTables = { div, saturation, sector, fraction, fs };
  return hueTables;
}

/**
 * RGB -> HSV (Pillow's `rgb2hsv`), hue + shift mod 256, HSV -> RGB (Pillow's `hsv2rgb`), in place,
 * with Pillow's mix of single and double precision. The divisions come from tables and
 * `fmod(x, 1)` (x in [5/6, 11/6)) is an exact subtraction: same results (checked on all 2^24
 * colours), about 2x faster. Exposed for tests (shift 0 is Pillow's lossy round trip).
 */
export function hueRoundTrip(data: Uint8Array, shift: number): void {
  const { div, saturation, sector, fraction, fs: fsOf } = getHueTables();
  for (let i = 0; i < data.length; i += 3) {
    const r = data[i];
    const g = data[i + 1];
    const b = data[i + 2];
    const maxc = r > g ? (r > b ? r : b) : g > b ? g : b;
    const minc = r < g ? (r < b ? r : b) : g < b ? g : b;
    // rgb2hsv: s == 0 (grey) gives h = s = 0, and hsv2rgb returns v, v, v whatever the hue
    if (minc === maxc) continue;
    const cr = maxc - minc;
    const row = cr << 8;
    let h: number;
    if (r === maxc) h = f32(div[row + maxc - b] - div[row + maxc - g]);
    else if (g === maxc) h = f32(2.0 + div[row + maxc - r] - div[row + maxc - b]);
    else h = f32(4.0 + div[row + maxc - g] - div[row + maxc - r]);
    let x = h / 6.0 + 1.0;
    if (x >= 1.0) x -= 1.0;
    let uh = Math.trunc(f32(x) * 255.0);
    uh = uh < 0 ? 0 : uh > 255 ? 255 : uh;
    const us = saturation[(maxc << 8) + cr];
    const v = maxc;
    if (us === 0) {
      data[i] = v;
      data[i + 1] = v;
      data[i + 2] = v;
      continue;
    }
    const hh = (uh + shift) & 255;
    const f = fraction[hh];
    const fs = fsOf[us];
    // C's round (half away from zero) on non-negative values; all within [0, v]
    const p = Math.round(v * (1.0 - fs));
    const q = Math.round(v * (1.0 - f32(fs * f)));
    const t = Math.round(v * (1.0 - fs * (1.0 - f)));
    switch (sector[hh]) {
      case 0:
        data[i] = v;
        data[i + 1] = t;
        data[i + 2] = p;
        break;
      case 1:
        data[i] = q;
        data[i + 1] = v;
        data[i + 2] = p;
        break;
      case 2:
        data[i] = p;
        data[i + 1] = v;
        data[i + 2] = t;
        break;
      case 3:
        data[i] = p;
        data[i + 1] = q;
        data[i + 2] = v;
        break;
      case 4:
        data[i] = t;
        data[i + 1] = p;
        data[i + 2] = v;
        break;
      default:
        data[i] = v;
        data[i + 1] = p;
        data[i + 2] = q;
    }
  }
}

/** Writes the luma of each RGB pixel into all three channels of `dst` (`dst` may be `src`). */
export function grayscale3(src: Uint8Array, dst: Uint8Array): Uint8Array {
  for (let i = 0; i < src.length; i += 3) {
    const l = luma(src[i], src[i + 1], src[i + 2]);
    dst[i] = l;
    dst[i + 1] = l;
    dst[i + 2] = l;
  }
  return dst;
}
