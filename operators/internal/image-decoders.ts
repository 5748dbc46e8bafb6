import sharp from 'sharp';
import type { Image } from '../../sources/sample.js';
import {
  decodePngSync,
  isPng,
  pngFastPathApplies,
  readPngChunks,
  readPngHeader,
  type ImageMode,
} from '../image/png-decode.js';
import { decodePnmSamples, isPnm, readPnmHeader } from '../image/pnm-decode.js';
import {
  copyWindowInto,
  cropImage,
  tooSmallMessage,
  windowInside,
  type CropSpec,
  type CropWindow,
} from './crop-window.js';
import { greyAlphaFromRgba, rgbFromGrey } from '../image/channels.js';
import { mirrorRows, mirrorRowsInPlace, reverseRowsInPlace } from '../image/mirror.js';
import { resizeBilinear, type ResizeBox, type SubSpan } from '../image/resize.js';
import { SampleError } from '../../sources/errors.js';
import { TJPF_BGR, TJPF_GRAY, TJPF_RGB, uninitialisedBytes, type JpegTurbo } from '../image/jpeg-turbo.js';

/**
 * Image decoding for `decode`. The format is sniffed from the bytes (not the field name), the
 * header is read in JS to refuse images above `maxPixels` before anything is decoded, then:
 * small plain PNGs are decoded synchronously in JS (see `png-decode.ts`), binary PGM/PPM are
 * parsed here, and everything else (large PNGs, JPEG, WebP, unrecognised bytes) goes to sharp
 * (libvips, off the main thread) with `limitInputPixels` as a second guard.
 */

/** How an image is decoded (resolved once in the `decode` factory). */
export interface ImageSettings {
  /** Channels wanted: the file's own (`keep`), always 3 (`rgb`), always 1 (`gray`). */
  readonly mode: ImageMode;
  /** Most pixels (width x height) an image may claim; more is an error before decoding. */
  readonly maxPixels: number;
  /** PNGs of at most this many pixels take the synchronous JS path when they can. */
  readonly fastPngMaxPixels: number;
  /** libjpeg-turbo for the JPEGs it decodes exactly as sharp does (see {@link turboApplies}); null: sharp for all. */
  readonly jpegTurbo: JpegTurbo | null;
}

/**
 * Geometry fused into decoding for one sample (`decode({randomCrop, randomFlip})`): the crop
 * window as a function of the image size (the same draws as the `randomCrop` operator), and
 * whether to mirror horizontally. sharp crops while decoding; the mirror runs in place on pixels
 * the decoder just made (libjpeg-turbo: decoded as BGR and each row reversed natively).
 */
export interface Geometry {
  readonly crop?: { readonly spec: CropSpec; readonly window: (H: number, W: number) => CropWindow | null };
  /**
   * A random resized crop (`decode({randomResizedCrop})`): the box of an `H` x `W` image (the same
   * draws as the `randomResizedCrop` operator), resampled to `h` x `w`; `shrinkOnLoad`: JPEGs may
   * be decoded at 1/2, 1/4 or 1/8 scale when the box stays at least as large as the output.
   */
  readonly resizedCrop?: {
    readonly h: number;
    readonly w: number;
    readonly box: (H: number, W: number) => ResizeBox;
    readonly shrinkOnLoad: boolean;
  };
  readonly flip: boolean;
}

/** What the header says about the colour layout, for picking sharp's output colourspace. */
interface Hint {
  readonly gray?: boolean;
  readonly alpha?: boolean;
  /** Size from the header, when read. */
  readonly width?: number;
  readonly height?: number;
}

/** Throws when width x height passes the limit (a decompression bomb, or a corrupt header). */
function checkPixels(width: number, height: number, maxPixels: number): void {
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new Error(
      `the image claims ${width} x ${height} = ${pixels} pixels, more than maxPixels (${maxPixels}); refused before decoding`,
    );
  }
}

/**
 * Decodes image bytes into HWC 8-bit pixels; synchronous for small PNGs and PGM/PPM in their
 * own channels, a Promise otherwise. Throws (or rejects) a plain Error on corrupt, empty or
 * oversized images; the caller wraps it with the sample's site. `slot`: where a libjpeg-turbo
 * fused crop may be written (asked for before the decode starts, in the caller's order).
 */
export function decodeImage(
  bytes: Uint8Array,
  settings: ImageSettings,
  geometry?: Geometry,
  slot?: ImageSlot,
): Image | Promise<Image> {
  if (bytes.length === 0) throw new Error('the file is empty');
  if (isPng(bytes)) {
    const header = readPngHeader(bytes);
    checkPixels(header.width, header.height, settings.maxPixels);
    const chunks = readPngChunks(bytes);
    if (
      header.width * header.height <= settings.fastPngMaxPixels &&
      pngFastPathApplies(header, chunks, settings.mode)
    ) {
      return shape(decodePngSync(header, chunks, settings.mode), geometry, true);
    }
    const ct = header.colorType;
    return decodeWithSharp(
      bytes,
      settings,
      {
        gray: ct === 0 || ct === 4,
        alpha: ct === 4 || ct === 6 || chunks.hasTransparency,
        width: header.width,
        height: header.height,
      },
      geometry,
    );
  }
  if (isJpeg(bytes)) {
    const size = readJpegSize(bytes);
    if (size.height > 0) checkPixels(size.width, size.height, settings.maxPixels);
    if (settings.jpegTurbo && turboApplies(size, settings.mode))
      return decodeWithTurbo(bytes, size, settings.jpegTurbo, settings.mode, geometry, slot);
    return decodeWithSharp(
      bytes,
      settings,
      { gray: size.components === 1, alpha: false, width: size.width, height: size.height || undefined },
      geometry,
    );
  }
  if (isWebp(bytes)) {
    const size = readWebpSize(bytes);
    checkPixels(size.width, size.height, settings.maxPixels);
    return decodeWithSharp(
      bytes,
      settings,
      { gray: false, alpha: size.alpha, width: size.width, height: size.height },
      geometry,
    );
  }
  if (isPnm(bytes)) {
    const image = decodePnm(bytes, settings);
    // PNM pixels may be a view of the sample's own bytes: mirror into a copy, never in place.
    return image instanceof Promise ? image.then((i) => shape(i, geometry, true)) : shape(image, geometry, false);
  }
  // Unrecognised bytes: sharp may still know the format (a GIF or TIFF under a .jpg name) or reject them.
  return decodeWithSharp(bytes, settings, {}, geometry);
}

/** Applies the fused geometry to decoded pixels (`owned`: they may be changed in place). */
function shape(image: Image, geometry: Geometry | undefined, owned: boolean): Image {
  if (!geometry) return image;
  let out = image;
  if (geometry.resizedCrop) {
    const [H, W, C] = image.shape;
    const { h, w } = geometry.resizedCrop;
    if (H < 1 || W < 1) throw new Error(`Cannot crop an image of ${H}x${W} as it must have at least one pixel`);
    out = { data: resizeBilinear(image.data, W, C, geometry.resizedCrop.box(H, W), h, w), shape: [h, w, C] };
    owned = true;
  }
  if (geometry.crop) {
    const [H, W] = image.shape;
    const win = geometry.crop.window(H, W);
    if (!win) throw new SampleError('random-crop', tooSmallMessage(H, W, geometry.crop.spec));
    out = cropImage(image, win);
    owned = true;
  }
  return geometry.flip ? mirror(out, owned) : out;
}

function mirror(image: Image, owned: boolean): Image {
  const [H, W, C] = image.shape;
  const src = image.data;
  if (owned) return { data: mirrorRowsInPlace(src, H, W, C), shape: image.shape };
  const data =
    src instanceof Float32Array
      ? mirrorRows(src, new Float32Array(src.length), H, W, C)
      : mirrorRows(src, new Uint8Array(src.length), H, W, C);
  return { data, shape: image.shape };
}

/**
 * True when libjpeg-turbo gives what sharp would: an 8-bit Huffman JPEG (baseline, extended or
 * progressive: SOF0/1/2) with its height in the frame header, grey or 3-component colour, no ICC
 * profile (sharp converts it to sRGB), and no colour-to-grey conversion (sharp's luminance is not
 * libjpeg's Y). Everything else (CMYK/YCCK, 12-bit, arithmetic coding, lossless, DNL heights,
 * embedded profiles, 'gray' from colour) goes to sharp.
 */
function turboApplies(size: JpegFrame, mode: ImageMode): boolean {
  if (size.sof > 2 || size.precision !== 8 || size.height === 0 || size.icc) return false;
  if (size.components === 1) return true;
  return size.components === 3 && mode !== 'gray';
}

/**
 * Where a decoder may write an image of `bytes` bytes: its slot in the batch a fused decode fills
 * (see `batch-slots.ts`), or undefined (the decoder allocates the image's own memory).
 */
export type ImageSlot = (bytes: number) => Uint8Array | undefined;

/**
 * Decodes on libjpeg-turbo. A fused crop is copied out of the handle's reused buffer into the
 * image's slot in its batch when there is one (else into new memory); a fused flip decodes colour
 * as BGR and reverses each row natively (see {@link TJPF_BGR}).
 */
async function decodeWithTurbo(
  bytes: Uint8Array,
  size: JpegFrame,
  turbo: JpegTurbo,
  mode: ImageMode,
  geometry?: Geometry,
  slot?: ImageSlot,
): Promise<Image> {
  const { width, height } = size;
  // grey in 'rgb' mode: libjpeg copies Y into R, G and B, as sharp does
  const format = size.components === 1 && mode !== 'rgb' ? TJPF_GRAY : TJPF_RGB;
  const channels = format === TJPF_GRAY ? 1 : 3;
  const flip = geometry?.flip === true;
  const decodeFormat = flip && format === TJPF_RGB ? TJPF_BGR : format;
  const rrc = geometry?.resizedCrop;
  if (rrc) {
    const box = rrc.box(height, width);
    const k = rrc.shrinkOnLoad ? shrinkFactor(box, rrc.h, rrc.w) : 1;
    // libjpeg's DCT scaling gives ceil(W / k) x ceil(H / k); the box is scaled with it
    const sw = Math.ceil(width / k);
    const sh = Math.ceil(height / k);
    const px = await turbo.decode(bytes, sw, sh, decodeFormat, 'scratch');
    try {
      const data =
        k === 1
          ? resizeBilinear(px.data, sw, channels, box, rrc.h, rrc.w)
          : resizeScaled(px.data, sw, sh, channels, box, k, rrc.h, rrc.w);
      // resampling treats each channel alike, so the BGR result reversed per row is the RGB one mirrored
      if (flip) reverseRowsInPlace(data, rrc.h, rrc.w * channels);
      return { data, shape: [rrc.h, rrc.w, channels] };
    } finally {
      px.release();
    }
  }
  const win = geometry?.crop?.window(height, width);
  if (geometry?.crop && !win) throw new SampleError('random-crop', tooSmallMessage(height, width, geometry.crop.spec));
  if (win) {
    const n = win.h * win.w * channels;
    const out = slot?.(n) ?? uninitialisedBytes(n);
    const px = await turbo.decode(bytes, width, height, decodeFormat, 'scratch');
    try {
      copyWindowInto(px.data, height, width, channels, win, out, flip);
    } finally {
      px.release();
    }
    return { data: out, shape: [win.h, win.w, channels] };
  }
  const px = await turbo.decode(bytes, width, height, decodeFormat, 'owned');
  if (flip) reverseRowsInPlace(px.data, height, width * channels);
  return { data: px.data, shape: [height, width, channels] };
}

/**
 * The largest JPEG shrink-on-load factor (8, 4, 2, else 1) that keeps the box at least as large as
 * the output (so a box at least twice the output is decoded at half scale or less). Measured on 24
 * opencv-doc photos at 300-800 px to 48 px: mean absolute difference to the unfused path 1.4 levels
 * (worst image 3.8); requiring twice that margin gives 0.4 (0.9) but shrinks far less often.
 */
function shrinkFactor(box: ResizeBox, outH: number, outW: number): number {
  for (const k of [8, 4, 2]) if (box.h >= k * outH && box.w >= k * outW) return k;
  return 1;
}

/**
 * Resamples `box` (in full-size pixels) from the image decoded `k` times smaller (`sh` x `sw`):
 * the box divided by k is fractional, so the whole pixels around it are read and the fraction is
 * kept in the filter's span (as Pillow's float box), with no rounding shift.
 */
function resizeScaled(
  data: Uint8Array,
  sw: number,
  sh: number,
  C: number,
  box: ResizeBox,
  k: number,
  outH: number,
  outW: number,
): Uint8Array {
  const y0 = box.top / k;
  const x0 = box.left / k;
  const y1 = Math.min(sh, (box.top + box.h) / k);
  const x1 = Math.min(sw, (box.left + box.w) / k);
  const top = Math.floor(y0);
  const left = Math.floor(x0);
  const window = { top, left, h: Math.ceil(y1) - top, w: Math.ceil(x1) - left };
  const span: SubSpan = { x0: x0 - left, x1: x1 - left, y0: y0 - top, y1: y1 - top };
  return resizeBilinear(data, sw, C, window, outH, outW, span);
}

async function decodeWithSharp(
  bytes: Uint8Array,
  settings: ImageSettings,
  hint: Hint,
  geometry?: Geometry,
): Promise<Image> {
  const limit = Number.isFinite(settings.maxPixels) ? settings.maxPixels : false;
  let pipeline = sharp(bytes, { limitInputPixels: limit });
  // A crop inside the image is done by libvips while decoding (one buffer of the crop's size);
  // a padded crop, or one of unknown size, is cut in JS from the full image afterwards.
  let rest = geometry;
  if (geometry?.crop && hint.width !== undefined && hint.height !== undefined) {
    const win = geometry.crop.window(hint.height, hint.width);
    if (!win) throw new SampleError('random-crop', tooSmallMessage(hint.height, hint.width, geometry.crop.spec));
    if (windowInside(win, hint.height, hint.width)) {
      pipeline = pipeline.extract({ left: win.left, top: win.top, width: win.w, height: win.h });
      rest = { flip: geometry.flip };
    }
  }
  return shape(await sharpPixels(pipeline, settings, hint), rest, true);
}

async function sharpPixels(start: sharp.Sharp, settings: ImageSettings, hint: Hint): Promise<Image> {
  let pipeline = start;
  // sharp writes sRGB unless told otherwise (a grey PNG comes out as 3 equal channels), so ask for
  // the layout wanted. Grey with alpha in 'keep' comes out as RGBA and is reduced to 2 channels below.
  const greyAlpha = settings.mode === 'keep' && hint.gray === true && hint.alpha === true;
  if (settings.mode === 'rgb') pipeline = pipeline.removeAlpha();
  else if (settings.mode === 'gray') pipeline = pipeline.removeAlpha().toColourspace('b-w');
  else if (hint.gray === true && !greyAlpha) pipeline = pipeline.toColourspace('b-w');
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (greyAlpha && info.channels === 4) {
    return { data: greyAlphaFromRgba(pixels, info.width * info.height), shape: [info.height, info.width, 2] };
  }
  return { data: pixels, shape: [info.height, info.width, info.channels] };
}

function decodePnm(bytes: Uint8Array, settings: ImageSettings): Image | Promise<Image> {
  const header = readPnmHeader(bytes);
  checkPixels(header.width, header.height, settings.maxPixels);
  const pixels = decodePnmSamples(bytes, header);
  const { width, height, channels } = header;
  if (
    settings.mode === 'keep' ||
    (settings.mode === 'rgb' && channels === 3) ||
    (settings.mode === 'gray' && channels === 1)
  ) {
    return { data: pixels, shape: [height, width, channels] };
  }
  if (settings.mode === 'rgb') {
    return { data: rgbFromGrey(pixels), shape: [height, width, 3] };
  }
  // RGB to grey: through sharp, so the luminance matches the other formats'.
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => ({
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      shape: [info.height, info.width, info.channels] as const,
    }));
}

function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** What the first frame header (and the segments before it) say about a JPEG. */
interface JpegFrame {
  readonly width: number;
  /** 0: defined later, by a DNL marker. */
  readonly height: number;
  readonly components: number;
  /** Bits per sample (8 or 12; 2-16 for lossless). */
  readonly precision: number;
  /** The SOF type, 0-15 (0 baseline, 1 extended, 2 progressive, 3 lossless, 9+ arithmetic). */
  readonly sof: number;
  /** An APP2 ICC_PROFILE segment came before the frame header. */
  readonly icc: boolean;
}

/** Walks the JPEG markers to the first frame header (SOFn). */
function readJpegSize(b: Uint8Array): JpegFrame {
  let icc = false;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength); // big-endian reads, bounds checked
  let o = 2;
  for (;;) {
    if (o >= b.length) throw new Error('truncated JPEG (no frame header)');
    if (b[o] !== 0xff) throw new Error(`corrupt JPEG (expected a marker at byte ${o})`);
    while (o < b.length && b[o] === 0xff) o++;
    if (o >= b.length) throw new Error('truncated JPEG (no frame header)');
    const marker = view.getUint8(o++);
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 || marker === 0xda) throw new Error('corrupt JPEG (no frame header before the image data)');
    if (o + 2 > b.length) throw new Error('truncated JPEG (no frame header)');
    const length = view.getUint16(o);
    if (length < 2 || o + length > b.length)
      throw new Error('truncated JPEG (a segment runs past the end of the file)');
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (length < 8) throw new Error('corrupt JPEG (short frame header)');
      const height = view.getUint16(o + 3);
      const width = view.getUint16(o + 5);
      if (width === 0) throw new Error('corrupt JPEG (width 0)');
      return {
        width,
        height,
        components: view.getUint8(o + 7),
        precision: view.getUint8(o + 2),
        sof: marker - 0xc0,
        icc,
      };
    }
    if (marker === 0xe2 && length >= 14 && ICC_TAG.every((c, i) => b[o + 2 + i] === c)) icc = true;
    o += length;
  }
}

/** "ICC_PROFILE\0", the tag of an APP2 segment holding (a chunk of) an ICC profile. */
const ICC_TAG = [...'ICC_PROFILE'].map((c) => c.charCodeAt(0)).concat(0);

function isWebp(b: Uint8Array): boolean {
  return (
    b.length >= 12 &&
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 && // RIFF
    b[8] === 0x57 &&
    b[9] === 0x45 &&
    b[10] === 0x42 &&
    b[11] === 0x50 // WEBP
  );
}

/** Reads the canvas size from the first WebP chunk (VP8, VP8L or VP8X). */
function readWebpSize(b: Uint8Array): { width: number; height: number; alpha: boolean } {
  if (b.length < 16) throw new Error('truncated WebP header');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength); // little-endian reads, bounds checked
  const tag = String.fromCharCode(view.getUint8(12), view.getUint8(13), view.getUint8(14), view.getUint8(15));
  if (b.length < (tag === 'VP8L' ? 25 : 30)) throw new Error('truncated WebP header');
  if (tag === 'VP8 ') {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) throw new Error('corrupt WebP (bad VP8 start code)');
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff, alpha: false };
  }
  if (tag === 'VP8L') {
    if (b[20] !== 0x2f) throw new Error('corrupt WebP (bad VP8L signature)');
    const bits = view.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, alpha: ((bits >>> 28) & 1) === 1 };
  }
  if (tag === 'VP8X') {
    return {
      width: (view.getUint16(24, true) | (view.getUint8(26) << 16)) + 1,
      height: (view.getUint16(27, true) | (view.getUint8(29) << 16)) + 1,
      alpha: (view.getUint8(20) & 0x10) !== 0,
    };
  }
  throw new Error(`corrupt WebP (unknown first chunk ${JSON.stringify(tag)})`);
}
