/**
 * `npm run bench:nda`: batches/s of each NDA transform (jigsaw, stitch, mixup, cutout, cutmix) on a
 * [64, 32, 32, 3] and a [64, 224, 224, 3] uint8 batch, (a) single thread (the transform called in a
 * loop on the main thread, writing into one reused output buffer; the figure with a fresh buffer per
 * call is printed beside it: that allocation, not the transform, is what made this benchmark bimodal)
 * and (b) through `ndaPairs` on its worker pool (2 threads, 4 batches in
 * flight: each batch copied once into a buffer moved to a thread, the negatives moved back); plus
 * `loader_ratio_with_jigsaw`: the loader's images/s on 224 px photos (tar -> decode with fused
 * random crop 224 + flip -> batch 64) with `ndaPairs(jigsaw)` over without, measured side by side
 * in alternating rounds. Per-configuration figures go to stderr; the last line is one JSON object:
 * `{"32": {"jigsaw": N, ...}, "224": {...}, "single_thread_spread": {"32": {"jigsaw": {min, median,
 * max}}}, "torch": {version, threads, spread}, "ratio_to_torch": {"32": {"jigsaw": R}}, "load_average",
 * "loader_ratio_with_jigsaw": R}` (each top figure the best configuration for that size). The single
 * thread figure is measured `--runs` times (default 5), each run alternating with one run of
 * PyTorch's own ops on the same batch shape (`bench/nda-torch.py`, float32 NCHW as the official code,
 * as many threads as cores; sizes up to 64 px) where `NDAFLOW_TORCH_PYTHON` (default
 * `/usr/bin/python3`: Debian's `python3-torch`) imports torch; `ratio_to_torch` is the ratio of the
 * medians. The stderr lines also give ndaPairs with `workers: 0` (the
 * transform on the main thread, with the operator's own cost).
 *
 * Options: `--seconds S` (per figure, default 2), `--loader-seconds S` (per loader round, default 4),
 * `--rounds N` (loader rounds, default 3), `--skip-loader`, `--sizes 32,224`, `--transforms jigsaw,stitch,...`, `--workers 2` and
 * `--concurrency 4` (the pool's threads and batches in flight).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    runs: { type: 'string', default: '5' },
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

/**
 * Single thread: the transform called back to back (each call a new epoch, so new draws), writing
 * into one reused output buffer (`fresh: false`, as a caller that is done with each batch before the
 * next) or into a fresh buffer per call (`fresh: true`, the default of `apply`).
 */
function singleThread(name: string, b: Batch, fresh = false): number {
  const t = createNdaTransform(name, {});
  const images = b.png as ImageBatch;
  const into = fresh ? undefined : new Uint8Array(images.data.length);
  const run = (epoch: number) => t.apply(images, { seed: 1, epoch, keys: b.__key__ } satisfies NdaContext, into);
  for (let i = 0; i < 200; i++) run(i); // warm-up: until the copy loops are optimised
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

/** One run of PyTorch's own ops (bench/nda-torch.py), or null (with the reason on stderr) where torch is missing. */
function torchRun(sizes: readonly number[]): Record<string, Record<string, number> | string> | null {
  const python = process.env['NDAFLOW_TORCH_PYTHON'] ?? '/usr/bin/python3';
  const script = fileURLToPath(new URL('../../bench/nda-torch.py', import.meta.url));
  const r = spawnSync(
    python,
    [
      script,
      '--seconds',
      String(seconds),
      '--threads',
      String(CORES),
      '--sizes',
      sizes.join(','),
      '--transforms',
      TRANSFORMS.join(','),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    process.stderr.write(
      `PyTorch side-by-side skipped (${python} ${script}: ${(r.stderr || String(r.error)).trim().split('\n').pop()})\n`,
    );
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, Record<string, number> | string>;
}

interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}
const spread = (xs: readonly number[]): Spread => ({
  min: round(Math.min(...xs)),
  median: round(median(xs)),
  max: round(Math.max(...xs)),
});

async function main(): Promise<void> {
  const workers = Number(args.workers);
  const concurrency = Number(args.concurrency);
  const runs = Number(args.runs);
  process.stderr.write(
    `bench:nda on ${CORES} core(s), ${seconds} s per figure, ${runs} run(s) alternating with PyTorch; pool: ${workers} threads, ${concurrency} batches in flight; load average ${loadavg()[0]?.toFixed(1)}\n`,
  );
  const best: Record<string, Record<string, number>> = {};
  const single: Record<string, Record<string, number[]>> = {};
  const torch: Record<string, Record<string, number[]>> = {};
  let torchVersion: string | null = null;
  for (let run = 0; run < runs; run++) {
    for (const size of SIZES) {
      const b = syntheticBatch(size);
      best[size] ??= {};
      single[size] ??= {};
      for (const name of TRANSFORMS) {
        const reused = singleThread(name, b);
        (single[size][name] ??= []).push(reused);
        if (run > 0) continue; // the other configurations once
        const fresh = singleThread(name, b, true);
        const main = await pooled(name, b, 0, 1);
        const pool = await pooled(name, b, workers, concurrency);
        process.stderr.write(
          `${size} px ${name}: single thread ${round(reused)} batches/s into a reused buffer, ${round(fresh)} into a fresh one each call (through ndaPairs, workers 0: ${round(main)}), pool ${round(pool)} batches/s\n`,
        );
        best[size][name] = round(Math.max(reused, pool));
      }
    }
    const t = torchRun(SIZES.filter((x) => x <= 64));
    if (t !== null) {
      torchVersion = typeof t['torch'] === 'string' ? t['torch'] : 'unknown';
      for (const [size, figures] of Object.entries(t)) {
        if (typeof figures !== 'object') continue;
        for (const [name, v] of Object.entries(figures)) ((torch[size] ??= {})[name] ??= []).push(v);
      }
    }
  }
  const spreads: Record<string, Record<string, Spread>> = {};
  const torchSpreads: Record<string, Record<string, Spread>> = {};
  const ratios: Record<string, Record<string, number>> = {};
  for (const [size, byName] of Object.entries(single)) {
    for (const [name, xs] of Object.entries(byName)) {
      (spreads[size] ??= {})[name] = spread(xs);
      const ts = torch[size]?.[name];
      if (ts !== undefined) {
        (torchSpreads[size] ??= {})[name] = spread(ts);
        (ratios[size] ??= {})[name] = round(median(xs) / median(ts), 2);
      }
      process.stderr.write(
        `${size} px ${name} over ${xs.length} run(s): ndaflow single thread ${JSON.stringify(spread(xs))}` +
          (ts === undefined
            ? ''
            : `, PyTorch ${torchVersion} (${CORES} threads) ${JSON.stringify(spread(ts))}, ratio of medians ${ratios[size]?.[name]}`) +
          '\n',
      );
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
  console.log(
    JSON.stringify({
      ...best,
      single_thread_spread: spreads,
      torch: torchVersion === null ? null : { version: torchVersion, threads: CORES, spread: torchSpreads },
      ratio_to_torch: torchVersion === null ? null : ratios,
      load_average: round(loadavg()[0] ?? 0, 1),
      loader_ratio_with_jigsaw: ratio,
    }),
  );
}

await main();
