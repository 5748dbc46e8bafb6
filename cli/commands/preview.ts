import { Command, InvalidArgumentError } from 'commander';
import { firstValueFrom, from, toArray, type OperatorFunction } from 'rxjs';
import sharp from 'sharp';
import { batch } from '../../operators/batch.js';
import { colorJitter } from '../../operators/color-jitter.js';
import { decode } from '../../operators/decode.js';
import { gaussianBlur } from '../../operators/gaussian-blur.js';
import { NDA_TRANSFORM_NAMES } from '../../operators/internal/nda-transforms.js';
import { ndaPairs, type NdaPair } from '../../operators/nda-pairs.js';
import { parallelMap } from '../../operators/parallel-map.js';
import { randomFlip } from '../../operators/random-flip.js';
import { randomGrayscale } from '../../operators/random-grayscale.js';
import { randomResizedCrop } from '../../operators/random-resized-crop.js';
import { twoViews } from '../../operators/two-views.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader, type LoaderStage } from '../../sources/loader.js';
import { isImage, type Batch, type Image, type ImageBatch, type Sample } from '../../sources/sample.js';
import { writeFileAtomic } from '../../sinks/checkpoint/write-file-atomic.js';
import { imageGrid } from '../../sinks/eval/image-grid.js';
import { InterruptedError, onInterrupt } from '../interrupt.js';
import { addReadOptions, integerArg, type ReadOptions } from '../options.js';

interface PreviewFlags extends ReadOptions {
  op: string[];
  opOptions: Record<string, object>;
  positive: boolean;
  count: number;
  size?: number;
  out: string;
  cell: number;
  labels: boolean;
}

/** `--op jigsaw,stitch --op cutout` -> ['jigsaw', 'stitch', 'cutout']. */
function opList(value: string, previous: string[] = []): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0)
    throw new InvalidArgumentError(
      `Cannot use it as it must name at least one transform: current value is ${JSON.stringify(value)}`,
    );
  return [...previous, ...names];
}

function jsonObject(value: string): Record<string, object> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(
      `Cannot parse it as it must be a JSON object: current value is ${JSON.stringify(value)}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError(
      `Cannot use it as it must be a JSON object of options by transform name: current value is ${value}`,
    );
  return parsed as Record<string, object>;
}

/** The image resized (scale the short side, centre crop) to `w` x `h`, RGB. */
async function fit(image: Image, w: number, h: number): Promise<Image> {
  const [ih, iw, c] = image.shape;
  if (ih === h && iw === w) return image;
  const bytes = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const { data, info } = await sharp(bytes, { raw: { width: iw, height: ih, channels: c as 1 | 2 | 3 | 4 } })
    .resize(w, h, { fit: 'cover' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    shape: [info.height, info.width, info.channels],
  };
}

/** The 1-based columns where two batches hold the same image. */
function sameImages(a: ImageBatch, b: ImageBatch): number[] {
  const per = a.data.length / a.shape[0];
  const out: number[] = [];
  for (let i = 0; i < a.shape[0]; i++) {
    let same = true;
    for (let j = i * per; j < (i + 1) * per && same; j++) same = a.data[j] === b.data[j];
    if (same) out.push(i + 1);
  }
  return out;
}

/** The image a sample holds in `field`. */
function imageOf(sample: Sample, field: string): Image {
  const v = sample[field];
  if (!isImage(v))
    throw new Error(
      `Cannot preview sample ${JSON.stringify(sample.__key__)} as its field ${JSON.stringify(field)} must be a decoded image, as in the first sample: it is ${v === undefined ? 'missing' : typeof v}`,
    );
  return v;
}

/**
 * A MoCo-v2 style positive view (He et al.; Chen et al. 2020), without the normalisation so that
 * it can be shown: random resized crop (scale 0.2..1) to w x h, colour jitter (0.4, 0.4, 0.4, 0.1;
 * p 0.8), grayscale (p 0.2), gaussian blur (sigma 0.1..2, p 0.5), horizontal flip.
 */
function mocoV2Views(w: number, h: number, seed: number): OperatorFunction<Sample, Sample>[] {
  return [
    randomResizedCrop({ size: [h, w], scale: [0.2, 1], seed }),
    colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8, seed }),
    randomGrayscale({ p: 0.2, seed }),
    gaussianBlur({ sigma: [0.1, 2], p: 0.5, seed }),
    randomFlip({ seed }),
  ];
}

/** The image field of a decoded sample (the first field holding an image). */
function imageFieldOf(sample: Sample): string {
  const f = Object.keys(sample).find((k) => {
    const v = sample[k] as Partial<Image> | undefined;
    return isImage(v);
  });
  if (f === undefined)
    throw new Error(
      `Cannot preview sample ${JSON.stringify(sample.__key__)} as it has no image field: its fields are ${JSON.stringify(Object.keys(sample))}`,
    );
  return f;
}

const GUTTER = 2;

const escapeXml = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/**
 * The grid as a PNG, with each row's label drawn in a column on its left (an SVG text overlay
 * composited by sharp) unless `labels` is empty.
 */
async function gridPng(
  grid: { data: Uint8Array; width: number; height: number; channels: 3 },
  labels: readonly string[],
): Promise<Buffer> {
  const image = sharp(grid.data, { raw: { width: grid.width, height: grid.height, channels: grid.channels } });
  if (labels.length === 0) return image.png().toBuffer();
  const cell = (grid.height - GUTTER) / labels.length - GUTTER;
  const fontSize = Math.max(10, Math.min(16, Math.floor(cell / 4)));
  const pad = 6;
  const width = Math.ceil(Math.max(...labels.map((l) => l.length)) * fontSize * 0.62) + 2 * pad;
  const texts = labels.map(
    (label, row) =>
      `<text x="${width - pad}" y="${GUTTER + row * (cell + GUTTER) + cell / 2}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" text-anchor="end" dominant-baseline="middle" fill="#000">${escapeXml(label)}</text>`,
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${grid.height}">${texts.join('')}</svg>`;
  return image
    .extend({ left: width, background: { r: 255, g: 255, b: 255 } })
    .composite([{ input: Buffer.from(svg), left: 0, top: 0 }])
    .png()
    .toBuffer();
}

/**
 * `ndaflow preview --op jigsaw[,stitch,...] SHARDS --out grid.png`: reads the first `--count`
 * images of the shards, decodes them (as RGB), brings them to one size (`--size`, else the first
 * image's size when at most 256 px, else 224 x 224), makes one batch, applies each NDA transform
 * (through `ndaPairs`, with `--seed`) and writes a PNG grid: row 1 the real images, with
 * `--positive` two rows of positive views (`twoViews` of a MoCo-v2 chain, not normalised), then one
 * row of negatives per transform, in `--op` order. Small images are enlarged (nearest neighbour)
 * to cells of at least `--cell` px. Each row's name (`real`, `view0`, `jigsaw`, ...) is drawn in a
 * column on its left (`--no-labels`: none); the rows (and each mixing transform's partners) are
 * also printed on stdout. The PNG is written through a temporary file renamed into place. Ctrl-C
 * (SIGINT) or SIGTERM stops it with a message and exit code 130 / 143, writing nothing. An unknown
 * transform name is an error listing the valid ones.
 */
export function previewCommand(): Command {
  return addReadOptions(
    new Command('preview')
      .description('write a PNG grid of real images and their NDA negatives (rows: real, then one per --op)')
      .argument('<shards...>', 'shard specs')
      .requiredOption(
        '--op <names>',
        'NDA transforms, comma-separated (jigsaw,stitch,mixup,cutout,cutmix,shift,noise)',
        opList,
      )
      .option('--op-options <json>', 'options by transform, as JSON: \'{"jigsaw": {"k": 4}}\'', jsonObject, {})
      .option('--positive', 'add two rows of positive views (MoCo-v2 style augmentation)', false)
      .option('--count <n>', 'images (columns)', integerArg(1, 256), 8)
      .option(
        '--size <n>',
        "resize every image to N x N (default: the first image's size when at most 256 px, else 224)",
        integerArg(1, 4096),
      )
      .option(
        '--cell <n>',
        'smallest cell side in px (small images are enlarged by a whole factor)',
        integerArg(1, 1024),
        96,
      )
      .option('--no-labels', "no label column (each row's name, drawn on its left)")
      .requiredOption('--out <file>', 'the PNG to write'),
    'seed of the transforms (default: 0)',
  ).action(async (specs: string[], flags: PreviewFlags) => {
    const interrupt = onInterrupt({ label: 'preview' });
    try {
      await writePreview(specs, flags, interrupt.signal);
    } catch (err) {
      if (!(err instanceof InterruptedError)) throw err;
    } finally {
      // exit code 130 (SIGINT) / 143 (SIGTERM) when stopped by a signal
      interrupt.dispose();
    }
    if (interrupt.received !== undefined)
      process.stderr.write(`ndaflow: preview: stopped on ${interrupt.received}: ${flags.out} not written\n`);
  });
}

/** Reads, transforms and writes the grid; stops (throwing the abort reason) when `signal` aborts. */
async function writePreview(specs: string[], flags: PreviewFlags, signal: AbortSignal): Promise<void> {
  const stopIfAborted = () => {
    if (signal.aborted) throw signal.reason;
  };
  const seed = flags.seed ?? 0;
  const unknownOptions = Object.keys(flags.opOptions).filter((k) => !flags.op.includes(k));
  if (unknownOptions.length > 0)
    throw new RangeError(
      `Cannot use --op-options as it must only name transforms given to --op (${flags.op.join(', ')}): current value names ${unknownOptions.join(', ')}`,
    );
  const unknownOps = flags.op.filter((name) => !NDA_TRANSFORM_NAMES.includes(name));
  if (unknownOps.length > 0)
    throw new RangeError(
      `Cannot preview --op ${unknownOps.join(',')} as each must be one of ${NDA_TRANSFORM_NAMES.join(', ')}: current value is ${JSON.stringify(flags.op.join(','))}`,
    );
  const read = () => fromShards(specs.join('::'), { seed, handler: flags.handler, allowPipe: flags.allowPipe });
  const decoding = decode({ image: 'rgb', handler: flags.handler });

  // The first image gives the field and, without --size, the size every image is brought to.
  const peek = createLoader(read(), decoding).iterate();
  const stopPeek = () => void peek.return?.();
  signal.addEventListener('abort', stopPeek, { once: true });
  const head = await peek.next().finally(() => signal.removeEventListener('abort', stopPeek));
  await peek.return?.();
  stopIfAborted();
  if (head.done) throw new Error(`Cannot preview ${specs.join(' ')} as the shards hold no sample`);
  const field = imageFieldOf(head.value);
  const firstShape = (head.value[field] as Image).shape;
  const [w, h] =
    flags.size !== undefined
      ? [flags.size, flags.size]
      : Math.max(firstShape[0], firstShape[1]) <= 256
        ? [firstShape[1], firstShape[0]]
        : [224, 224];

  // Built before reading, so that a bad transform option fails first.
  const pairing = flags.op.map((name) =>
    ndaPairs({
      transforms: { name, options: flags.opOptions[name] ?? {} },
      field,
      seed,
      workers: 0,
      handler: flags.handler,
    }),
  );
  const ops: LoaderStage[] = [
    decoding,
    parallelMap(async (s: Sample) => ({ ...s, [field]: await fit(imageOf(s, field), w, h) }), {
      concurrency: 2,
      handler: flags.handler,
    }),
  ];
  if (flags.positive) ops.push(twoViews(mocoV2Views(w, h, seed), { field, keepInput: true, handler: flags.handler }));
  ops.push(batch(flags.count));
  const it = createLoader<Batch>(read(), ops).iterate();
  const stopIt = () => void it.return?.();
  signal.addEventListener('abort', stopIt, { once: true });
  const first = await it.next().finally(() => signal.removeEventListener('abort', stopIt));
  await it.return?.();
  stopIfAborted();
  if (first.done) throw new Error(`Cannot preview ${specs.join(' ')} as the shards hold no image`);
  const real = first.value;

  const rows: ImageBatch[] = [real[field] as ImageBatch];
  const labels = ['real'];
  const legend = [`row 1: real ${field} (${real.__key__.join(', ')})`];
  if (flags.positive) {
    for (const view of ['view0', 'view1']) {
      rows.push(real[view] as ImageBatch);
      labels.push(view);
      legend.push(
        `row ${rows.length}: positive ${view} (MoCo-v2: random resized crop, colour jitter, grayscale, blur, flip)`,
      );
    }
  }
  for (const [i, op] of pairing.entries()) {
    const [pair] = await firstValueFrom(from([real]).pipe(op, toArray<NdaPair>()));
    if (pair === undefined)
      throw new Error(`Cannot preview ${flags.op[i]} as it made no negatives (the error handler skipped the batch)`);
    const negatives = pair.negative[field] as ImageBatch;
    rows.push(negatives);
    labels.push(flags.op[i] as string);
    const partners = pair.negative.__partner__;
    const same = sameImages(real[field] as ImageBatch, negatives);
    const notes = [
      partners ? `partners: ${partners.join(', ')}` : '',
      same.length > 0 ? `column(s) ${same.join(', ')} equal the real image` : '',
    ].filter(Boolean);
    legend.push(`row ${rows.length}: ${flags.op[i]}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
  }
  const grid = imageGrid(rows, { minCell: flags.cell, gutter: GUTTER });
  const png = await gridPng(grid, flags.labels ? labels : []);
  stopIfAborted();
  // through a temporary file renamed into place: an interrupted or failed write leaves no partial PNG
  await writeFileAtomic(flags.out, png);
  const { width } = await sharp(png).metadata();
  process.stdout.write(
    `${legend.join('\n')}\nwrote ${flags.out}: ${width} x ${grid.height} px, ${rows.length} rows of ${real.__key__.length} images (${w} x ${h} px each)\n`,
  );
}
