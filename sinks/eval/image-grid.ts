import type { ImageBatch } from '../../sources/sample.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const IMAGE_GRID_KEYS = optionKeys<ImageGridOptions>({ minCell: true, gutter: true, background: true });

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** Smallest cell side in pixels: smaller images are enlarged by a whole factor (nearest neighbour) to reach it. @default 96 */
  readonly minCell?: number;
  /** Pixels between cells and around the grid. @default 2 */
  readonly gutter?: number;
  /** Grey level of the gutters and of the unused part of a cell. @default 255 */
  readonly background?: number;
}

/** An RGB picture: interleaved pixels, 3 channels. */
export interface RgbPicture {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
}

/**
 * Lays batches of images out as one RGB picture: one row per batch, one column per image, 2 px
 * gutters. Each row's images are enlarged by the smallest whole factor that makes them at least
 * `minCell` px (nearest neighbour, so 28 px images stay sharp and visible) and centred in cells of
 * one size. Grey (1 or 2 channels) is shown as grey, alpha is dropped. Float images are shown as
 * they are when their values lie in [0, 255] (scaled by 255 when they all lie in [0, 1]); other
 * float ranges (normalised images) are stretched to [0, 255] per row.
 *
 * @throws RangeError when a row is not a batch of images or the picture would be too large.
 */
export function imageGrid(rows: readonly ImageBatch[], options: ImageGridOptions = {}): RgbPicture {
  checkOptionKeys('imageGrid', options, IMAGE_GRID_KEYS);
  const minCell = options.minCell ?? 96;
  const gutter = options.gutter ?? 2;
  const background = options.background ?? 255;
  if (rows.length === 0)
    throw new RangeError('Cannot lay out an image grid as it must have at least one row: current value is 0');
  const scales = rows.map((r) => {
    const [, h, w] = r.shape;
    if (r.shape.length !== 4 || h < 1 || w < 1 || r.data.length !== r.shape[0] * h * w * r.shape[3])
      throw new RangeError(
        `Cannot lay out an image grid as each row must be a batch [n, h, w, c]: current value is [${r.shape.join(', ')}]`,
      );
    return Math.max(1, Math.ceil(minCell / Math.max(h, w)));
  });
  const cellW = Math.max(...rows.map((r, i) => r.shape[2] * (scales[i] as number)));
  const cellH = Math.max(...rows.map((r, i) => r.shape[1] * (scales[i] as number)));
  const columns = Math.max(...rows.map((r) => r.shape[0]));
  const width = gutter + columns * (cellW + gutter);
  const height = gutter + rows.length * (cellH + gutter);
  if (width * height > 2 ** 28)
    throw new RangeError(
      `Cannot lay out an image grid as it must be at most 2^28 pixels: current value is ${width} x ${height}`,
    );
  const data = new Uint8Array(width * height * 3).fill(background);
  rows.forEach((row, r) => {
    const [n, h, w, c] = row.shape;
    const s = scales[r] as number;
    const toByte = byteMapping(row.data);
    for (let i = 0; i < n; i++) {
      const x0 = gutter + i * (cellW + gutter) + Math.floor((cellW - w * s) / 2);
      const y0 = gutter + r * (cellH + gutter) + Math.floor((cellH - h * s) / 2);
      const base = i * h * w * c;
      for (let y = 0; y < h * s; y++) {
        const srcRow = base + Math.floor(y / s) * w * c;
        let o = ((y0 + y) * width + x0) * 3;
        for (let x = 0; x < w * s; x++, o += 3) {
          const p = srcRow + Math.floor(x / s) * c;
          if (c >= 3) {
            data[o] = toByte(row.data[p] as number);
            data[o + 1] = toByte(row.data[p + 1] as number);
            data[o + 2] = toByte(row.data[p + 2] as number);
          } else {
            const v = toByte(row.data[p] as number);
            data[o] = v;
            data[o + 1] = v;
            data[o + 2] = v;
          }
        }
      }
    }
  });
  return { data, width, height, channels: 3 };
}

/** How one row's values become bytes. */
function byteMapping(values: Uint8Array | Float32Array): (v: number) => number {
  if (values instanceof Uint8Array) return (v) => v;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const clamp = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));
  if (lo >= 0 && hi <= 1) return (v) => clamp(v * 255);
  if (lo >= 0 && hi <= 255) return clamp;
  const span = hi - lo || 1;
  return (v) => clamp(((v - lo) / span) * 255);
}
