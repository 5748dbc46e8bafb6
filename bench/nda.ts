/**
 * `npm run bench:nda`: batches/s of each NDA transform (jigsaw, stitch, mixup, cutout, cutmix) on a
 * [64, 32, 32, 3] and a [64, 224, 224, 3] uint8 batch, (a) single thread (the transform called in a
 * loop on the main thread) and (b) through `ndaPairs` on its worker pool (2 threads, 4 batches in
 * flight: each batch copied once into a buffer moved to a thread, the negatives moved back); plus
 * `loader_ratio_with_jigsaw`: the loader's images/s on 224 px photos (tar -> decode with fused
 * random crop 224 + flip -> batch 64) with `ndaPairs(jigsaw)` over without, measured side by side
 * in alternating rounds. Per-configuration figures go to stderr; the last line is one JSON object:
 * `{"32": {"jigsaw": N, ...}, "224": {...}, "loader_ratio_with_jigsaw": R}` (each figure the best
 * configuration for that size). The stderr lines also give ndaPairs with `workers: 0` (the
 * transform on the main thread, with the operator's own cost).
 *
 * Options: `--seconds S` (per figure, default 2), `--loader-seconds S` (per loader round, default 4),
 * `--rounds N` (loader rounds, default 3), `--skip-loader`, `--sizes 32,224`, `--transforms jigsaw,stitch,...`, `--workers 2` and
 * `--concurrency 4` (the pool's threads and batches in flight).
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Subject } from 'rxjs';
import { batch } from '../operators/batch.js';
import { decode } from '../operators/decode.js';
import { ndaPairs, type NdaPair, type NdaPairsOptions } from '../operators/nda-pairs.js';
import type { NdaContext } from '../operators/internal/nda-transform.js';
import { createNdaTransform } from '../operators/internal/nda-transforms.js';
import { fromShards } from '../sources/from-shards.js';
import { createLoader, type LoaderStage } from '../sources/loader.js';
import type { Batch, ImageBatch } from '../sources/sample.js';
import { CORES, round } from './measure.js';
import { writePhotoShards } from './photo-shards.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    'loader-seconds': { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    'skip-loader': { type: 'boolean', default: false },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '4' },
    sizes: { type: 'string', default: '32,224' },
    transforms: { type: 'string', default: 'jigsaw,stitch,mixup,cutout,cutmix' },
  },
});
const seconds = Number(args.seconds);
const TRANSFORMS = args.transforms.split(',');
const SIZES = args.sizes.split(',').map(Number);
const N = 64;

/** A batch of 64 RGB images with varied, deterministic pixels (an LCG: the content does not change the cost). */
function syntheticBatch(size: number): Batch {
  const data = new Uint8Array(N * size * size * 3);
  let x = 12345;
  for (let i = 0; i < data.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  const images: ImageBatch = { data, shape: [N, size, size, 3] };
  return {
    __key__: Array.from({ length: N }, (_, i) => `img${i}`),
    __url__: new Array<string>(N).fill('mem://bench'),
    png: images,
  };
}

/** Single thread: the transform called back to back (each call a new epoch, so new draws). */
function singleThread(name: string, b: Batch): number {
  const t = createNdaTransform(name, {});
  const images = b.png as ImageBatch;
  const run = (epoch: number) => t.apply(images, { seed: 1, epoch, keys: b.__key__ } satisfies NdaContext);
  for (let i = 0; i < 20; i++) run(i); // warm-up
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < seconds * 1000) {
    for (let j = 0; j < 8; j++) run(n++);
  }
  return n / ((performance.now() - start) / 1000);
}

/** Through ndaPairs on the pool: the stage is kept full (a new batch for each pair out). */
function pooled(name: string, b: Batch, workers: number, concurrency: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const input = new Subject<Batch>();
    const op = ndaPairs({ transforms: name, seed: 1, workers, concurrency, mainThreadMaxBytes: 0 });
    let n = 0;
    let start = 0;
    const warm = performance.now() + 500;
    const sub = input.pipe(op).subscribe({
      next: () => {
        const now = performance.now();
        if (start === 0) {
          if (now >= warm) start = now;
        } else n++;
        if (start !== 0 && now - start >= seconds * 1000) {
          sub.unsubscribe();
          resolve(n / ((now - start) / 1000));
          return;
        }
        input.next(b);
      },
      error: reject,
    });
    for (let i = 0; i < concurrency; i++) input.next(b);
  });
}

/** Loader images/s on the photo shards at 224 px, with or without jigsaw pairs. */
async function loaderRate(spec: string, jigsaw: NdaPairsOptions['workers'] | null, duration: number): Promise<number> {
  const ops: LoaderStage[] = [decode({ randomCrop: { size: 224, seed: 1 }, randomFlip: { seed: 1 } }), batch(64)];
  if (jigsaw !== null) ops.push(ndaPairs({ transforms: 'jigsaw', seed: 1, workers: jigsaw }));
  const it = createLoader(fromShards(spec, { seed: 1, epochs: Infinity }), ops).iterate();
  const warm = performance.now() + 1000;
  let start = 0;
  let images = 0;
  for await (const item of it as AsyncIterable<Batch | NdaPair>) {
    const now = performance.now();
    if (start === 0) {
      if (now >= warm) start = now;
      continue;
    }
    images += (item as Batch).__key__?.length ?? (item as NdaPair).real.__key__.length;
    if (now - start >= duration * 1000) break;
  }
  await it.return?.();
  return images / ((performance.now() - start) / 1000);
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const workers = Number(args.workers);
  const concurrency = Number(args.concurrency);
  process.stderr.write(
    `bench:nda on ${CORES} core(s), ${seconds} s per figure; pool: ${workers} threads, ${concurrency} batches in flight\n`,
  );
  const best: Record<string, Record<string, number>> = {};
  for (const size of SIZES) {
    const b = syntheticBatch(size);
    best[size] = {};
    for (const name of TRANSFORMS) {
      const single = singleThread(name, b);
      const main = await pooled(name, b, 0, 1);
      const pool = await pooled(name, b, workers, concurrency);
      process.stderr.write(
        `${size} px ${name}: single thread ${round(single)} batches/s (through ndaPairs, workers 0: ${round(main)}), pool ${round(pool)} batches/s\n`,
      );
      best[size][name] = round(Math.max(single, pool));
    }
  }
  let ratio: number | null = null;
  if (!args['skip-loader']) {
    const dir = join(tmpdir(), 'ndaflow-bench');
    mkdirSync(dir, { recursive: true });
    const photos = await writePhotoShards(join(dir, 'photos'));
    const d = Number(args['loader-seconds']);
    const plain: number[] = [];
    const jig: number[] = [];
    const jigMain: number[] = [];
    for (let r = 0; r < Number(args.rounds); r++) {
      plain.push(await loaderRate(photos.spec, null, d));
      jig.push(await loaderRate(photos.spec, 'auto', d));
      jigMain.push(await loaderRate(photos.spec, 0, d));
    }
    const show = (xs: number[]) => xs.map((x) => round(x)).join(', ');
    process.stderr.write(
      `loader 224 px (${photos.count} photo tiles): without NDA ${show(plain)} img/s; with jigsaw pairs (default: the pool at this size) ${show(jig)} img/s; ` +
        `with jigsaw pairs on the main thread (workers: 0) ${show(jigMain)} img/s (ratio ${round(median(jigMain) / median(plain), 3)})\n`,
    );
    ratio = round(median(jig) / median(plain), 3);
  }
  console.log(JSON.stringify({ ...best, loader_ratio_with_jigsaw: ratio }));
}

await main();
