import type * as TFJS from '@tensorflow/tfjs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { checkInteger, typeError } from '../../sources/errors.js';
import { deriveSeed } from '../../sources/random.js';
import type { ImageBatch } from '../../sources/sample.js';
import { imageGrid } from './image-grid.js';
import { generateImages } from './internal/generate-images.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const WRITE_SAMPLE_GRID_KEYS = optionKeys<SampleGridOptions>({ rows: true, cols: true, seed: true, cell: true });

/** Options of {@link writeSampleGrid}. */
export interface SampleGridOptions {
  /** Rows of the grid. @default 8 */
  readonly rows?: number;
  /** Images per row. @default 8 */
  readonly cols?: number;
  /** Seed of the latents (`tf.randomNormal` seeded with `deriveSeed(seed, 'sample-grid')`): one seed, one grid, so grids of successive checkpoints show the same latents. @default 0 */
  readonly seed?: number;
  /** Smallest cell side in pixels (images are enlarged by a whole factor, nearest neighbour). @default 64 */
  readonly cell?: number;
}

/** What {@link writeSampleGrid} wrote. */
export interface SampleGridFile {
  readonly path: string;
  readonly width: number;
  readonly height: number;
}

/**
 * Writes `rows x cols` generated images as one PNG (RGB, 2 px white gutters): `rows * cols` seeded
 * standard normal latents through the generator in inference mode, mapped from [-1, 1] to bytes
 * (`(v + 1) * 127.5`, clamped), laid out by `imageGrid`, encoded by sharp. Creates the folder. Every
 * tensor is disposed before the file is written. A class-conditional generator (two inputs) draws class `r mod classes` on row `r`. Deterministic given the seed and backend.
 *
 * @example
 * await writeSampleGrid(tf, generator, 'runs/x/samples-000200.png', { rows: 8, cols: 8, seed: 1 });
 * @throws RangeError/TypeError for a bad option; the file system's error when the file cannot be written.
 */
export async function writeSampleGrid(
  tf: typeof TFJS,
  generator: TFJS.LayersModel,
  path: string,
  options: SampleGridOptions = {},
): Promise<SampleGridFile> {
  checkOptionKeys('writeSampleGrid', options, WRITE_SAMPLE_GRID_KEYS);
  const action = 'write a sample grid';
  const rows = checkInteger(action, 'rows', options.rows ?? 8, 1, 1024);
  const cols = checkInteger(action, 'cols', options.cols ?? 8, 1, 1024);
  const seed = checkInteger(action, 'seed', options.seed ?? 0, 0, 0xffffffff);
  const cell = checkInteger(action, 'cell', options.cell ?? 64, 1, 4096);
  if (typeof path !== 'string' || path === '') throw typeError(action, 'path must be a non-empty string', path);
  const z = generator.inputs[0]!.shape[1] as number;
  // a class-conditional generator draws class r on row r
  const images = tf.tidy(() =>
    generateImages(
      tf,
      generator,
      tf.randomNormal<TFJS.Rank.R2>([rows * cols, z], 0, 1, 'float32', deriveSeed(seed, 'sample-grid')),
      (i) => Math.floor(i / cols),
    ),
  );
  let values: Float32Array;
  const [, h, w, c] = images.shape;
  try {
    values = (await images.data()) as Float32Array;
  } finally {
    images.dispose();
  }
  const per = h * w * c;
  const batches: ImageBatch[] = [];
  for (let r = 0; r < rows; r++) {
    const data = new Uint8Array(cols * per);
    for (let i = 0; i < data.length; i++) {
      const v = Math.round((values[r * cols * per + i]! + 1) * 127.5);
      data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    batches.push({ data, shape: [cols, h, w, c] });
  }
  const grid = imageGrid(batches, { minCell: cell });
  await mkdir(dirname(path), { recursive: true });
  await sharp(grid.data, { raw: { width: grid.width, height: grid.height, channels: grid.channels } })
    .png()
    .toFile(path);
  return { path, width: grid.width, height: grid.height };
}
