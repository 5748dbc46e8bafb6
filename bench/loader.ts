/**
 * `npm run bench:loader`: tar -> decode -> batch 64 images/s, against the bare `sharp` decode rate
 * of the same files, for (a) Fashion-MNIST PNG 28 px (the embedded real shards, read round after
 * round) and (b) 256 px JPEG photos cut from Debian's opencv-doc -> random 224 crop + flip (with
 * libjpeg-turbo's own rate, `tjbench`, beside it; the pipeline hands each batch back with
 * `releaseBatch`, `pipeline_kept_ips` is the same pipeline keeping its batches, and
 * `no_headroom_pipeline_ips` the released one with the loader's GC headroom off (`gcHeadroomMb: 0`,
 * see sources/gc-headroom.ts); and `libjpeg_turbo_in_turn_ips`, libjpeg-turbo through Pillow taking the files in turn, the streaming
 * reference beside tjbench's hot-cache one); (c) the
 * opencv-doc photos at 300-800 px -> randomResizedCrop 224 + flip; plus the raw tar read rate.
 * Last line: one JSON object with the figures.
 *
 * `--shards SPEC [--crop 224] [--batch 64] [--seconds S] [--separate] [--release] [--sharp-concurrency N] [--gc-headroom MB]`
 * measures the same pipeline on any shards (crop/flip as operators with `--separate`, batches handed
 * back with `--release`, libvips threads per decode with `--sharp-concurrency`, the loader's
 * `gcHeadroomMb` with `--gc-headroom`) and prints
 * `{"pipeline_ips": N}`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createLoader, type LoaderStage } from '../sources/loader.js';
import { fromShards } from '../sources/from-shards.js';
import { expandShardSpec } from '../sources/shard-spec.js';
import { readTarSamples } from '../sources/tar-samples.js';
import { openShard } from '../sources/open-shard.js';
import { decode } from '../operators/decode.js';
import { batch } from '../operators/batch.js';
import { releaseBatch } from '../operators/release-batch.js';
import { randomCrop } from '../operators/random-crop.js';
import { randomFlip } from '../operators/random-flip.js';
import { CORES, round, runBounded } from './measure.js';
import { writePhotoShards, writeVariedPhotoShards } from './photo-shards.js';
import { resizedCropBox } from '../operators/internal/resized-crop-box.js';
import { Random } from '../sources/random.js';
import { haveTjbench, pillowRate, tjbenchRate, writeTjbenchFiles } from './tjbench.js';
import { convertFashionMnist, FASHION_MNIST_DEBIAN_ROOT } from '../sources/datasets/fashion-mnist.js';

/**
 * Plain-tar Fashion-MNIST PNG shards of the whole real train split (60,000 images, 6 shards), as
 * the competitor reads them, written once into the bench folder; the embedded gzipped shards when
 * Debian's dataset-fashion-mnist is not installed.
 */
async function fmnistShards(benchDir: string): Promise<string> {
  if (!existsSync(FASHION_MNIST_DEBIAN_ROOT)) return EMBEDDED_TRAIN;
  const out = join(benchDir, 'fmnist');
  const spec = join(out, 'train-{000000..000005}.tar');
  if (!existsSync(join(out, 'train-000005.tar')))
    await convertFashionMnist({ out, splits: ['train'], maxSamples: 10_000 });
  return spec;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EMBEDDED_TRAIN = join(ROOT, 'data', 'fmnist', 'train-{000000..000003}.tar.gz');

const { values: args } = parseArgs({
  options: {
    shards: { type: 'string' },
    crop: { type: 'string' },
    batch: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '12' },
    separate: { type: 'boolean', default: false },
    release: { type: 'boolean', default: false },
    'sharp-concurrency': { type: 'string' },
    'gc-headroom': { type: 'string' },
  },
});
const seconds = Number(args.seconds);
const batchSize = Number(args.batch);

/**
 * Images per second through the loader pipeline, measured after one warm-up second. `release`: the
 * consumer hands each batch back with `releaseBatch` once it has counted it (as a training loop
 * does after copying the batch into a tensor), so later batches reuse its memory.
 */
async function pipelineRate(
  spec: string,
  crop: number | undefined,
  duration = seconds,
  release = false,
  gcHeadroomMb?: number,
): Promise<number> {
  // The crop and flip are fused into decode (JPEGs: libjpeg-turbo, the crop cut from a reused buffer; the flip runs
  // in place); `--separate` uses the randomCrop and randomFlip operators instead (same pixels).
  const sharpConcurrency = args['sharp-concurrency'] ? Number(args['sharp-concurrency']) : undefined;
  const ops: LoaderStage[] =
    crop && !args.separate
      ? [decode({ sharpConcurrency, randomCrop: { size: crop, seed: 1 }, randomFlip: { seed: 1 } })]
      : [decode({ sharpConcurrency }), ...(crop ? [randomCrop({ size: crop, seed: 1 }), randomFlip({ seed: 1 })] : [])];
  ops.push(batch(batchSize));
  return loaderRate(spec, ops, duration, release, gcHeadroomMb);
}

/** Images/s of the loader over `spec` through `ops` (ending in a batch), after one warm-up second. */
async function loaderRate(
  spec: string,
  ops: LoaderStage[],
  duration: number,
  release = false,
  gcHeadroomMb?: number,
): Promise<number> {
  const it = createLoader(fromShards(spec, { seed: 1, epochs: Infinity }), ops)
    .with({ gcHeadroomMb })
    .iterate();
  const warm = performance.now() + 1000;
  let start = 0;
  let images = 0;
  for await (const b of it as AsyncIterable<{ __key__: string[] }>) {
    const now = performance.now();
    if (release) releaseBatch(b); // warm-up batches too, as a training loop would
    if (start === 0) {
      if (now >= warm) start = now;
      continue;
    }
    images += b.__key__.length;
    if (now - start >= duration * 1000) break;
  }
  return images / ((performance.now() - start) / 1000);
}

/** The image fields of every sample of the shards, in memory. */
async function loadImages(spec: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const url of expandShardSpec(spec)) {
    for await (const item of readTarSamples(openShard(url), url)) {
      if (item.kind !== 'sample') continue;
      for (const [field, bytes] of item.fields) if (/(png|jpe?g|webp)$/.test(field)) out.push(bytes);
    }
  }
  return out;
}

/** Bare sharp decode rate of the same bytes, at its best here (2 decodes in flight per core, one libvips thread each, raw pixels out). */
async function bareSharpRate(images: readonly Buffer[], duration = seconds): Promise<number> {
  sharp.concurrency(1);
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < duration * 1000) {
    await runBounded(images, 2 * CORES, async (buf) => {
      await sharp(buf).raw().toBuffer({ resolveWithObject: true });
    });
    n += images.length;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Images/s through decode({randomResizedCrop: 224, randomFlip}) (fused, JPEG shrink-on-load) -> batch. */
async function rrcPipelineRate(spec: string, duration: number): Promise<number> {
  const ops: LoaderStage[] = [
    decode({ randomResizedCrop: { size: 224, seed: 1 }, randomFlip: { seed: 1 } }),
    batch(batchSize),
  ];
  return loaderRate(spec, ops, duration);
}

/**
 * Bare decode-and-resize of the same bytes with sharp (a torchvision-style box, drawn as the
 * operator draws it, extracted and resized to 224 x 224 by libvips, which shrinks JPEGs on load
 * by itself), 2 calls in flight per core, one libvips thread each.
 */
async function bareSharpResizeRate(images: readonly Buffer[], sizes: readonly [number, number][], duration: number) {
  sharp.concurrency(1);
  const start = performance.now();
  const indices = images.map((_, i) => i);
  let n = 0;
  let round = 0;
  while (performance.now() - start < duration * 1000) {
    round++;
    await runBounded(indices, 2 * CORES, async (i) => {
      const [H, W] = sizes[i] as [number, number];
      const box = resizedCropBox(Random.derive(round, 'bare-rrc', String(i)), H, W, [0.08, 1], [3 / 4, 4 / 3]);
      await sharp(images[i])
        .extract({ left: box.left, top: box.top, width: box.w, height: box.h })
        .resize(224, 224, { fit: 'fill' })
        .raw()
        .toBuffer();
    });
    n += images.length;
  }
  return n / ((performance.now() - start) / 1000);
}

/** Tar entries and MB of entry data per second, reading without decoding. */
async function tarRate(spec: string): Promise<{ entries: number; mb: number }> {
  const it = createLoader(fromShards(spec, { seed: 1, epochs: Infinity })).iterate();
  const start = performance.now();
  for await (const _ of it) {
    if (performance.now() - start >= seconds * 1000) break;
  }
  const s = (performance.now() - start) / 1000;
  return { entries: it.counters.entries / s, mb: it.counters.bytes / 1e6 / s };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

type Rate = (duration: number) => Promise<number>;

/** The rates one case measures: the pipeline and bare sharp always; libjpeg-turbo's and the pipeline with batches kept when given. */
interface Rates {
  readonly pipeline: Rate;
  readonly bare: Rate;
  readonly turbo?: Rate;
  /** The pipeline when the consumer keeps its batches (no `releaseBatch`), where `pipeline` releases them. */
  readonly kept?: Rate;
  /** `pipeline` with the loader's GC headroom off (`gcHeadroomMb: 0`). */
  readonly noHeadroom?: Rate;
  /** libjpeg-turbo through Pillow taking the files in turn (see `pillowRate`). */
  readonly pillow?: Rate;
}

/**
 * The rates of one case measured side by side: `rounds` alternating runs of each (this machine is
 * noisy: a figure measured minutes apart from its reference says little), medians reported.
 * `ratio` is pipeline / libjpeg-turbo when that is measured, else pipeline / bare sharp.
 */
async function sideBySide(name: string, rates: Rates, rounds = 3) {
  const runs = new Map<keyof Rates, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const [what, rate] of Object.entries(rates) as [keyof Rates, Rate | undefined][]) {
      if (rate === undefined) continue;
      const list = runs.get(what) ?? [];
      list.push(await rate(seconds / rounds));
      runs.set(what, list);
    }
  }
  const shown = [...runs].map(([what, xs]) => `${what} ${xs.map((x) => round(x)).join(', ')}`).join('; ');
  process.stderr.write(`${name} (img/s): ${shown}\n`);
  const at = (what: keyof Rates): number | undefined => {
    const xs = runs.get(what);
    return xs === undefined ? undefined : median(xs);
  };
  const pipelineIps = at('pipeline') as number;
  const bareIps = at('bare') as number;
  const turboIps = at('turbo');
  const keptIps = at('kept');
  const noHeadroomIps = at('noHeadroom');
  const pillowIps = at('pillow');
  return {
    pipeline_ips: round(pipelineIps),
    ...(keptIps === undefined ? {} : { pipeline_kept_ips: round(keptIps) }),
    bare_ips: round(bareIps),
    ...(turboIps === undefined ? {} : { libjpeg_turbo_ips: round(turboIps) }),
    ratio: round(pipelineIps / (turboIps ?? bareIps), 3),
    ...(turboIps === undefined ? {} : { ratio_to_bare: round(pipelineIps / bareIps, 3) }),
    ...(keptIps === undefined || turboIps === undefined ? {} : { kept_ratio: round(keptIps / turboIps, 3) }),
    ...(noHeadroomIps === undefined
      ? {}
      : { no_headroom_pipeline_ips: round(noHeadroomIps), headroom_speedup: round(pipelineIps / noHeadroomIps, 3) }),
    ...(pillowIps === undefined
      ? {}
      : {
          libjpeg_turbo_in_turn_ips: round(pillowIps),
          ratio_to_in_turn: round(pipelineIps / pillowIps, 3),
        }),
  };
}

async function main(): Promise<void> {
  if (args.shards) {
    const headroom = args['gc-headroom'] === undefined ? undefined : Number(args['gc-headroom']);
    const ips = await pipelineRate(
      args.shards,
      args.crop ? Number(args.crop) : undefined,
      seconds,
      args.release,
      headroom,
    );
    console.log(JSON.stringify({ pipeline_ips: round(ips) }));
    return;
  }
  const benchDir = join(tmpdir(), 'ndaflow-bench');
  mkdirSync(benchDir, { recursive: true });
  const fmnist = await fmnistShards(benchDir);
  process.stderr.write(`bench:loader on ${CORES} core(s), ${seconds} s per figure; Fashion-MNIST shards ${fmnist}\n`);

  const fmnistImages = (await loadImages(fmnist)).slice(0, 10_000);
  const fmnistFigures = await sideBySide('fmnist png', {
    pipeline: (d) => pipelineRate(fmnist, undefined, d),
    bare: (d) => bareSharpRate(fmnistImages, d),
  });

  const photos = await writePhotoShards(join(benchDir, 'photos'));
  const photoImages = await loadImages(photos.spec);
  // libjpeg-turbo's own rate on the same tiles and cores (tjbench, Debian's libjpeg-turbo-progs)
  const tjFiles = (await haveTjbench()) ? writeTjbenchFiles(join(benchDir, 'tjbench'), photoImages, 8 * CORES) : [];
  if (tjFiles.length === 0)
    process.stderr.write('tjbench missing (apt-get install libjpeg-turbo-progs): no libjpeg_turbo_ips\n');
  // libjpeg-turbo through Pillow over every tile in turn (Debian's python3-pil), when it is there
  const pillowFiles = writeTjbenchFiles(join(benchDir, 'pillow'), photoImages, photoImages.length);
  const withPillow = (await pillowRate(pillowFiles.slice(0, 2), 1, 0.05)) !== null;
  const photoFigures = await sideBySide(`photo jpg 224 (${photos.count} tiles)`, {
    pipeline: (d) => pipelineRate(photos.spec, 224, d, true),
    kept: (d) => pipelineRate(photos.spec, 224, d),
    noHeadroom: (d) => pipelineRate(photos.spec, 224, d, true, 0),
    bare: (d) => bareSharpRate(photoImages, d),
    turbo: tjFiles.length > 0 ? (d) => tjbenchRate(tjFiles, CORES, d) : undefined,
    pillow: withPillow ? async (d) => (await pillowRate(pillowFiles, CORES, d)) ?? NaN : undefined,
  });

  const varied = await writeVariedPhotoShards(join(benchDir, 'photos-varied'));
  const variedImages = await loadImages(varied.spec);
  const variedSizes = await Promise.all(
    variedImages.map(async (b) => {
      const m = await sharp(b).metadata();
      return [m.height ?? 0, m.width ?? 0] as [number, number];
    }),
  );
  const rrcFigures = await sideBySide(`photo jpg 300-800 px -> randomResizedCrop 224 + flip (${varied.count} photos)`, {
    pipeline: (d) => rrcPipelineRate(varied.spec, d),
    bare: (d) => bareSharpResizeRate(variedImages, variedSizes, d),
  });

  const tar = await tarRate(fmnist);
  console.log(
    JSON.stringify({
      fmnist_png: fmnistFigures,
      photo_jpg_224: photoFigures,
      photo_jpg_rrc_224: rrcFigures,
      tar_entries_per_s: round(tar.entries),
      tar_mb_per_s: round(tar.mb, 1),
      load_avg_1m: round(loadavg()[0] ?? 0, 2),
    }),
  );
}

await main();
