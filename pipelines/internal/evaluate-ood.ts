import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batch } from '../../operators/batch.js';
import { decode } from '../../operators/decode.js';
import { resizeBilinear } from '../../operators/image/resize.js';
import { oodProtocol, type OodProtocolResult } from '../../sinks/anomaly/ood-protocol.js';
import { loadCheckpoint } from '../../sinks/checkpoint/load-checkpoint.js';
import { createGan, type GanArchitecture } from '../../sinks/gan/create-gan.js';
import { RUN_FILES } from '../../sinks/report/run-folder.js';
import { writeRunReport } from '../../sinks/report/write-run-report.js';
import { rangeError, typeError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import type { Batch, ImageBatch } from '../../sources/sample.js';
import { trainingBackend } from './training-run.js';
import { createGanOptimizers } from '../../sinks/gan/gan-optimizers.js';

/** Options of {@link evaluateOodRun}. */
export interface EvaluateOodOptions {
  /** The in-distribution test shards (a shard spec). */
  readonly in: string;
  /** The OOD sets, by name: `{ svhn: 'shards/svhn/test-{000000..000002}.tar' }`. @default {} (the NDA'd sets only) */
  readonly ood?: Readonly<Record<string, string>>;
  /** At most this many images of each set (the official protocol: 10,000). @default 10000 */
  readonly limit?: number;
  /** The backend (`selectBackend`'s `backend`). @default the best available */
  readonly backend?: string;
  /** Seed of the NDA'd sets. @default 0 */
  readonly seed?: number;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
}

/**
 * `ndaflow evaluate ood`: loads a GAN run's discriminator (its `config.json` and latest checkpoint),
 * reads the in-distribution test images and each OOD set (decoded as the run's images; smaller ones
 * padded around the centre to its size, as the GAN pipelines pad 28 px images, larger ones resized
 * bilinearly), runs {@link oodProtocol} (each given set, then the NDA'd
 * test images) and records the AUROCs in the run folder: `ood.json` (the whole result), one
 * `eval.jsonl` row `{ood: name, auroc, n, step}` per set plus `{ood: 'mean', auroc}`, and the
 * run's `report.html`, rewritten with an out-of-distribution section (AUROC per set and the mean;
 * its path is logged).
 *
 * @throws RangeError/TypeError for a run folder without a GAN config or checkpoint, or a bad option.
 */
export async function evaluateOodRun(runDir: string, options: EvaluateOodOptions): Promise<OodProtocolResult> {
  const action = `evaluate the OOD protocol of ${runDir}`;
  const log = options.log ?? (() => undefined);
  if (typeof options.in !== 'string' || options.in === '')
    throw typeError(action, 'in must be a shard spec of the test images', options.in);
  const limit = options.limit ?? 10_000;
  let config: {
    pipeline?: string;
    nda?: string;
    seed?: number;
    architecture?: GanArchitecture;
    z: number;
    ch: number;
    size: number;
    channels: number;
    classes: number | null;
  };
  try {
    config = JSON.parse(await readFile(join(runDir, RUN_FILES.config), 'utf8')) as typeof config;
  } catch (err) {
    throw rangeError(action, `the run folder must hold a GAN run's ${RUN_FILES.config}`, (err as Error).message);
  }
  if (typeof config.size !== 'number' || typeof config.channels !== 'number')
    throw rangeError(action, `${RUN_FILES.config} must give the run's size and channels`, Object.keys(config));
  const { tf } = await trainingBackend(options.backend === undefined ? {} : { backend: options.backend }, log);
  const models = createGan(tf, config.architecture ?? 'dcgan', {
    z: config.z,
    ch: config.ch,
    size: config.size,
    channels: config.channels,
    ...(config.classes === null || config.classes === undefined ? {} : { classes: config.classes }),
  });
  const optimizers = createGanOptimizers(tf);
  try {
    const { step } = await loadCheckpoint(tf, runDir, { models, optimizers });
    const read = (spec: string) => readImages(spec, config.size, config.channels, limit);
    const test = await read(options.in);
    log(`in-distribution: ${test.shape[0]} images from ${options.in} (D of step ${step})`);
    const sets = [];
    for (const [name, spec] of Object.entries(options.ood ?? {})) {
      sets.push({ name, images: await read(spec) });
      log(`ood ${name}: ${sets.at(-1)!.images.shape[0]} images from ${spec}`);
    }
    const result = await oodProtocol(tf, models.discriminator, test, sets, { seed: options.seed ?? 0 });
    await writeFile(
      join(runDir, RUN_FILES.ood),
      `${JSON.stringify({ step, in: options.in, ood: options.ood ?? {}, ...result }, null, 2)}\n`,
    );
    const rows = [
      ...result.sets.map((s) => ({ step, ood: s.name, auroc: s.auroc, n: s.n })),
      { step, ood: 'mean', auroc: result.mean },
    ];
    await appendFile(join(runDir, RUN_FILES.evaluations), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    for (const s of result.sets) log(`AUROC ${s.name}: ${s.auroc.toFixed(4)} (${s.n} images)`);
    for (const s of result.skipped) log(`skipped ${s.name}: ${s.reason}`);
    log(`AUROC mean over ${result.sets.length} sets: ${result.mean.toFixed(4)}`);
    // the same title as the training run's report (finishTrainingRun)
    const title = [config.pipeline, config.nda, config.seed === undefined ? undefined : `seed ${config.seed}`]
      .filter((part) => part !== undefined)
      .join(' ');
    log(`report: ${await writeRunReport(runDir, title === '' ? {} : { title })}`);
    return result;
  } finally {
    models.generator.dispose();
    models.discriminator.dispose();
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
  }
}

/** Up to `limit` images of a shard spec, decoded as `channels`, resized to `size` x `size`, stacked. */
async function readImages(spec: string, size: number, channels: number, limit: number): Promise<ImageBatch> {
  const it = createLoader<Batch>(fromShards(spec, { seed: 0, shuffle: 0 }), [
    decode({ image: channels === 1 ? 'gray' : 'rgb' }),
    batch(256),
  ]).iterate();
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const b of it) {
    const field = Object.keys(b).find(
      (k) => !k.startsWith('__') && (b[k] as ImageBatch | undefined)?.shape?.length === 4,
    );
    if (field === undefined)
      throw rangeError(`read the images of ${spec}`, 'its samples must hold an image', Object.keys(b));
    const images = b[field] as ImageBatch;
    const [m, h, w, c] = images.shape;
    for (let i = 0; i < m && n < limit; i++, n++) {
      const one = images.data.subarray(i * h * w * c, (i + 1) * h * w * c) as Uint8Array;
      parts.push(fit(one, h, w, c, size));
    }
    if (n >= limit) break;
  }
  const data = new Uint8Array(n * size * size * channels);
  parts.forEach((p, i) => data.set(p, i * size * size * channels));
  return { data, shape: [n, size, size, channels] };
}

/**
 * One image brought to `size` x `size`: as it is; padded with zeros around the centre when smaller
 * (as the GAN pipelines pad 28 px Fashion-MNIST to 32); else resized bilinearly.
 */
function fit(image: Uint8Array, h: number, w: number, c: number, size: number): Uint8Array {
  if (h === size && w === size) return image;
  if (h <= size && w <= size) {
    const out = new Uint8Array(size * size * c);
    const top = Math.floor((size - h) / 2);
    const left = Math.floor((size - w) / 2);
    for (let r = 0; r < h; r++) out.set(image.subarray(r * w * c, (r + 1) * w * c), ((top + r) * size + left) * c);
    return out;
  }
  return resizeBilinear(image, w, c, { top: 0, left: 0, h, w }, size, size);
}
