/**
 * Channel layout conversions of interleaved 8-bit pixels, for the decoders in
 * `operators/internal/image-decoders.ts`.
 */

/** Grey + alpha from RGBA whose three colour channels are equal (sharp's output for a grey PNG with alpha). */
export function greyAlphaFromRgba(rgba: Uint8Array, pixelCount: number): Uint8Array {
  const out = new Uint8Array(pixelCount * 2);
  for (let i = 0; i < pixelCount; i++) {
    out[2 * i] = rgba[4 * i];
    out[2 * i + 1] = rgba[4 * i + 3];
  }
  return out;
}

/** RGB from one grey channel, each grey value copied to the three channels. */
export function rgbFromGrey(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3);
  for (let i = 0, d = 0; i < grey.length; i++, d += 3) out[d] = out[d + 1] = out[d + 2] = grey[i];
  return out;
}
