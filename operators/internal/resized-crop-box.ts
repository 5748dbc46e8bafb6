import type { Random } from '../../sources/random.js';
import type { ResizeBox } from '../image/resize.js';

/**
 * torchvision's `RandomResizedCrop.get_params`: up to 10 tries of a target area drawn uniformly
 * in `scale` x the image area and an aspect ratio drawn log-uniformly in `ratio`, the box's sides
 * `round(sqrt(area * ratio))` and `round(sqrt(area / ratio))` (Python's round: half to even); the
 * first box that fits gets a uniform position. When no try fits, the fallback: a centred crop of
 * the whole image clamped to the ratio bounds. Draws from `rng` in a fixed order (area, ratio per
 * try, then top, left), so the same generator gives the same box.
 */
export function resizedCropBox(
  rng: Random,
  H: number,
  W: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
): ResizeBox {
  const area = H * W;
  const logLow = Math.log(ratio[0]);
  const logHigh = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + (scale[1] - scale[0]) * rng.float());
    const aspect = Math.exp(logLow + (logHigh - logLow) * rng.float());
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    if (w > 0 && w <= W && h > 0 && h <= H) {
      const top = rng.int(0, H - h);
      const left = rng.int(0, W - w);
      return { top, left, h, w };
    }
  }
  return centreBox(H, W, ratio);
}

/** torchvision's fallback: the whole image, or its centre clamped to the ratio bounds. */
export function centreBox(H: number, W: number, ratio: readonly [number, number]): ResizeBox {
  const inRatio = W / H;
  let w: number;
  let h: number;
  if (inRatio < ratio[0]) {
    w = W;
    h = Math.max(1, roundHalfEven(w / ratio[0])); // (torchvision would return an empty box for a 1-pixel-wide image and extreme ratios)
  } else if (inRatio > ratio[1]) {
    h = H;
    w = Math.max(1, roundHalfEven(h * ratio[1]));
  } else {
    w = W;
    h = H;
  }
  return { top: Math.trunc((H - h) / 2), left: Math.trunc((W - w) / 2), h, w };
}

/** Python's `round(x)` for x >= 0: to the nearest integer, halves to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
