import type * as TFJS from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batch } from '../../operators/batch.js';
import { decode } from '../../operators/decode.js';
import { filterSamples } from '../../operators/filter-samples.js';
import { ndaPairs } from '../../operators/nda-pairs.js';
import { randomCrop } from '../../operators/random-crop.js';
import { scoreOodSets, type AnomalyRow } from '../../sinks/anomaly/anomaly-report.js';
import { CORRUPTION_NAMES } from '../../sinks/anomaly/corruptions.js';
import { oneClassAuroc } from '../../sinks/anomaly/one-class-auroc.js';
import { buildOodSets } from '../../sinks/anomaly/ood-sets.js';
import { scoreImages } from '../../sinks/anomaly/score-images.js';
import type { GanPair, TrainNdaGanResult } from '../../sinks/gan/gan-trainer.js';
import { trainNdaGan } from '../../sinks/gan/gan-trainer.js';
import { createDcgan } from '../../sinks/gan/dcgan.js';
import { loadCheckpoint } from '../../sinks/checkpoint/load-checkpoint.js';
import { saveCheckpoint } from '../../sinks/checkpoint/save-checkpoint.js';
import { trimRunFolder } from '../../sinks/report/run-folder.js';
import type { LoaderState } from '../../sources/loader-state.js';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import type { HandlerName } from '../../sources/handlers.js';
import type { Accounting } from '../../sources/ledger.js';
import { createLoader, type LoaderStage } from '../../sources/loader.js';
import { deriveSeed } from '../../sources/random.js';
import { lineagesOf, type Batch, type ImageBatch } from '../../sources/sample.js';
import { PipelineError } from '../pipeline-error.js';
import { padCentre } from './pad-centre.js';
import { createGanOptimizers } from '../../sinks/gan/gan-optimizers.js';

/** The `nda` values of {@link oneClassExperiment} (as `fmnist-gan`'s): `none` trains the plain hinge GAN. */
export const ONE_CLASS_NDA = ['none', 'jigsaw', 'stitch', 'mixup', 'cutout', 'cutmix'] as const;

/** Options of {@link oneClassExperiment}. */
export interface OneClassExperimentOptions {
  /** The class trained on as normal (its `cls` label). An integer >= 0. */
  readonly normalClass: number;
  /** Seed of every random choice. An integer in [0, 2^32 - 1]. */
  readonly seed: number;
  /** Training shards (only the samples whose `cls` is `normalClass` are used). Required (`fmnist-anomaly` passes the embedded Fashion-MNIST train shards). */
  readonly trainShards: string | readonly string[];
  /** Test shards (every sample is scored; `png` and `cls` fields). Required. */
  readonly testShards: string | readonly string[];
  /** NDA of the GAN's discriminator (`none`: alpha 1, beta 0). One of {@link ONE_CLASS_NDA}. @default 'jigsaw' */
  readonly nda?: string;
  /** Options of the `nda` transform (`{k: 4}` for jigsaw), checked by the transform. @default {} (its defaults) */
  readonly ndaOptions?: Readonly<Record<string, unknown>>;
  /** Weight of the fake term in the D loss (`trainNdaGan`'s). @default 0.25, 1 with `nda: 'none'` */
  readonly alpha?: number;
  /** Weight of the NDA term in the D loss; must be 0 with `nda: 'none'`. @default 0.75, 0 with `nda: 'none'` */
  readonly beta?: number;
  /** Generator steps. An integer >= 1. @default 200 */
  readonly steps?: number;
  /** Training batch size (full batches only). An integer >= 1. @default 64 */
  readonly batchSize?: number;
  /** Training sample shuffle buffer (0: tar order). @default 1000 */
  readonly shuffle?: number;
  /** Training epochs. @default as many as the steps need */
  readonly epochs?: number;
  /** NDA transforms that make OOD test sets (`buildOodSets`). @default ['jigsaw', 'stitch', 'mixup', 'cutout', 'cutmix'] */
  readonly oodNda?: readonly string[];
  /** Corruptions that make OOD test sets (`buildOodSets`). @default every one of CORRUPTION_NAMES */
  readonly corruptions?: readonly string[];
  /** Images per scoring forward pass. @default 256 */
  readonly scoreBatchSize?: number;
  /** Error policy of every stage. @default 'reraise' */
  readonly handler?: HandlerName;
  /** Allow `pipe:CMD` shard specs. @default false */
  readonly allowPipe?: boolean;
  /** Run folder: `metrics.jsonl`, the final checkpoint and `anomaly.json`. @default undefined (nothing written) */
  readonly runDir?: string;
  /**
   * Continue the training from `runDir`'s latest checkpoint (same networks, optimizers, samples and
   * noise as an uninterrupted run; `metrics.jsonl` trimmed to it); the options must be the ones the run
   * was started with (`fmnist-anomaly` takes them from its `config.json`). Needs `runDir`. @default false
   */
  readonly resume?: boolean;
  /** Log lines (losses, the scoring). @default none */
  readonly log?: (line: string) => void;
  /** Stops the training early (the scoring still runs on the networks so far). @default none */
  readonly signal?: AbortSignal;
  /** Called after each training step with the steps done, the target and the losses. @default none */
  readonly onTrainingStep?: (step: number, steps: number, detail: string) => void;
  /** Called as training batches come out. @default none */
  readonly onProgress?: (samples: number, batches: number) => void;
}

/** What {@link oneClassExperiment} returns (and writes as `anomaly.json`). */
export interface OneClassExperimentResult {
  readonly normalClass: number;
  readonly nda: string;
  readonly seed: number;
  /** Generator steps done. */
  readonly steps: number;
  /**
   * The rows: `one-class` (normal test images vs every other class: `nIn` normal, `n` anomalous),
   * then one per OOD set (`nda/...`, `corruption/...`: the normal test images transformed, vs the
   * normal test images), then `mean` (mean AUROC of the OOD sets).
   */
  readonly rows: readonly AnomalyRow[];
  /** AUROC of the normal class against each other class of the test split, by class label. */
  readonly perClass: Readonly<Record<string, number>>;
  /** The training and test loaders' accounting. */
  readonly accounting: { readonly train: Accounting; readonly test: Accounting };
  /** Training batches (and samples) taken. */
  readonly batches: number;
  readonly samples: number;
  /** The last losses, or null. */
  readonly lastLosses: { readonly dLoss: number; readonly gLoss: number } | null;
  /** Seconds of training, of scoring. */
  readonly trainSeconds: number;
  readonly scoreSeconds: number;
  /** True when `signal` stopped the training. */
  readonly aborted: boolean;
}

const ACTION = 'run a one-class anomaly experiment';
/** Side of the networks' images: Fashion-MNIST's 28 px padded by 2 on each side. */
const SIZE = 32;
const PAD = 2;

/**
 * The one-class anomaly protocol on a labelled image dataset (issue 4; Fashion-MNIST in `fmnist-anomaly`):
 * trains an NDA-GAN (`trainNdaGan`, a 1-channel 32x32 DCGAN, as `fmnist-gan`: decode gray, pad-and-crop
 * 28 -> 32, full batches, `ndaPairs`) on the training samples of class `normalClass` only (the others
 * are dropped before decoding and counted as skipped, reason `other-class`), then scores every test
 * image with the trained discriminator (its logit; test images padded by 2 px on each side, centred)
 * and reports AUROCs: the normal class against the nine others (`one-class`), against each other class
 * alone (`perClass`), and the normal test images against their OOD versions (`buildOodSets`: NDA
 * transforms and corruptions). Writes `anomaly.json` (the whole result) into `runDir` when given.
 * Deterministic given the seed and backend. Call it once per class for the per-class table; the
 * networks are disposed before it returns.
 *
 * @throws RangeError/TypeError for a bad option (before reading anything); PipelineError (with the
 *   accounting so far) when a stream or the training fails, or when the training shards hold less than
 *   one batch of the normal class.
 */
export async function oneClassExperiment(
  tf: typeof TFJS,
  options: OneClassExperimentOptions,
): Promise<OneClassExperimentResult> {
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const normalClass = checkInteger(ACTION, 'normalClass', options.normalClass, 0, 1 << 20);
  const seed = checkInteger(ACTION, 'seed', options.seed, 0, 0xffffffff);
  const nda = options.nda ?? 'jigsaw';
  if (!(ONE_CLASS_NDA as readonly string[]).includes(nda))
    throw rangeError(ACTION, `nda must be one of ${ONE_CLASS_NDA.join(', ')}`, nda);
  const steps = checkInteger(ACTION, 'steps', options.steps ?? 200, 1);
  const batchSize = checkInteger(ACTION, 'batchSize', options.batchSize ?? 64, 1);
  const shuffle = checkInteger(ACTION, 'shuffle', options.shuffle ?? 1000, 0);
  const epochs = options.epochs === undefined ? Infinity : checkInteger(ACTION, 'epochs', options.epochs, 1);
  const alpha = options.alpha ?? (nda === 'none' ? 1 : 0.25);
  const beta = options.beta ?? (nda === 'none' ? 0 : 0.75);
  if (nda === 'none' && beta !== 0)
    throw rangeError(ACTION, 'beta weighs the NDA term, and nda none trains without negatives', beta);
  const scoreBatchSize = checkInteger(ACTION, 'scoreBatchSize', options.scoreBatchSize ?? 256, 1);
  for (const name of ['trainShards', 'testShards'] as const) {
    const v = options[name];
    if (
      !(typeof v === 'string' && v !== '') &&
      !(Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string'))
    )
      throw typeError(ACTION, `${name} must be a shard spec or a list of shards`, v);
  }
  if (options.runDir !== undefined && (typeof options.runDir !== 'string' || options.runDir === ''))
    throw typeError(ACTION, 'runDir must be a non-empty string', options.runDir);
  const oodNda = options.oodNda ?? ['jigsaw', 'stitch', 'mixup', 'cutout', 'cutmix'];
  const corruptions = options.corruptions ?? CORRUPTION_NAMES;
  // checks the set names (and that the transforms run) on a tiny batch, before the training
  buildOodSets({ data: new Uint8Array(2 * 4 * 4), shape: [2, 4, 4, 1] }, { nda: oodNda, corruptions, seed });
  const log = options.log ?? (() => undefined);
  const runDir = options.runDir;

  // --- training on the normal class
  const source = fromShards(options.trainShards, {
    seed,
    shuffle,
    epochs,
    handler: options.handler,
    allowPipe: options.allowPipe,
  });
  let matchedFirstPass = 0;
  const isNormal = (sample: Record<string, unknown>): boolean => {
    const pass = lineagesOf(sample)[0]?.pass ?? 0;
    if (pass > 0 && matchedFirstPass < batchSize) {
      throw new Error(
        `Cannot train on class ${normalClass} as the training shards hold ${matchedFirstPass} sample(s) of it, fewer than one batch of ${batchSize}`,
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- cls is the raw field (a Buffer, whose toString is its UTF-8 text) or a decoded string or number
    const keep = Number(String(sample.cls ?? '').trim()) === normalClass;
    if (keep && pass === 0) matchedFirstPass++;
    return keep;
  };
  const stages: LoaderStage[] = [
    filterSamples(isNormal, { reason: 'other-class', handler: options.handler }),
    decode({ image: 'gray', handler: options.handler }),
    randomCrop({ size: SIZE, pad: PAD, seed: deriveSeed(seed, 'crop'), handler: options.handler }),
    batch(batchSize, { partial: false }),
  ];
  if (nda !== 'none')
    stages.push(
      ndaPairs({
        transforms: { name: nda, options: options.ndaOptions ?? {} },
        seed: deriveSeed(seed, 'nda'),
        batchSize,
        handler: options.handler,
      }),
    );
  let startStep = 0;
  let resumeFrom: LoaderState | undefined;
  let resumed:
    | { models: NonNullable<TrainNdaGanResult['models']>; optimizers: NonNullable<TrainNdaGanResult['optimizers']> }
    | undefined;
  const disposeResumed = () => {
    if (resumed === undefined) return;
    const { models, optimizers } = resumed;
    for (const m of [models.generator, models.discriminator, optimizers.generator, optimizers.discriminator])
      m.dispose();
    resumed = undefined;
  };
  if (options.resume === true) {
    if (runDir === undefined) throw typeError(ACTION, 'resume needs a runDir', runDir);
    // the networks trainNdaGan builds for a 1-channel 32 px batch, then the checkpoint's weights
    const models = createDcgan(tf, { z: 128, size: SIZE, channels: 1, seed: deriveSeed(seed, 'weights') });
    const optimizers = createGanOptimizers(tf);
    resumed = { models, optimizers };
    try {
      const loaded = await loadCheckpoint(tf, runDir, { models, optimizers });
      startStep = loaded.step;
      resumeFrom = (loaded.loaderState ?? undefined) as LoaderState | undefined;
    } catch (err) {
      disposeResumed();
      throw err;
    }
    await trimRunFolder(runDir, startStep);
    log(`resuming ${runDir} at step ${startStep} of ${steps}`);
  }
  const it = createLoader<unknown>(source, stages).iterate(resumeFrom !== undefined ? { resumeFrom } : {});
  let batches = 0;
  async function* pairs(): AsyncGenerator<GanPair> {
    for await (const item of it) {
      batches++;
      options.onProgress?.(batches * batchSize, batches);
      yield nda === 'none' ? { real: item as Batch, negative: item as Batch } : (item as GanPair);
      if (options.signal?.aborted) return;
    }
  }
  const every = Math.max(1, Math.round(steps / 10));
  const trainStart = performance.now();
  let trained: TrainNdaGanResult;
  try {
    trained = await trainNdaGan(tf, pairs(), {
      alpha,
      beta,
      steps,
      startStep,
      ...(resumed !== undefined ? { models: resumed.models, optimizers: resumed.optimizers } : {}),
      seed: deriveSeed(seed, 'gan'),
      ...(runDir !== undefined ? { runDir, checkpointEvery: steps, loaderState: () => it.state() } : {}),
      onStep: (r) => {
        options.onTrainingStep?.(r.step, steps, `dLoss ${r.dLoss.toFixed(4)} gLoss ${r.gLoss.toFixed(4)}`);
        if (r.step % every === 0 || r.step === 1 || r.step === steps)
          log(
            `step ${r.step}/${steps}: dLoss ${r.dLoss.toFixed(4)} gLoss ${r.gLoss.toFixed(4)} (${r.msPerStep.toFixed(0)} ms)`,
          );
      },
    });
    if (runDir !== undefined && trained.models !== null && trained.steps > startStep && trained.steps < steps) {
      // stopped early (Ctrl-C, SIGTERM, or the data ran out): keep what was trained, for --resume
      await saveCheckpoint(tf, runDir, {
        models: trained.models,
        optimizers: trained.optimizers!,
        step: trained.steps,
        loaderState: it.state(),
      });
    }
  } catch (err) {
    disposeResumed();
    throw new PipelineError('fmnist-anomaly', it.accounting(), err);
  }
  const trainSeconds = (performance.now() - trainStart) / 1000;
  const trainAccounting = it.accounting();
  const { models, optimizers, ema } = trained;
  try {
    if (models === null)
      throw new PipelineError(
        'fmnist-anomaly',
        trainAccounting,
        new Error('Cannot score the test split as no training step ran'),
      );

    // --- scoring the test split
    const scoreStart = performance.now();
    const test = createLoader(
      fromShards(options.testShards, {
        seed,
        shuffle: 0,
        epochs: 1,
        handler: options.handler,
        allowPipe: options.allowPipe,
      }),
      decode({ image: 'gray', handler: options.handler }),
      batch(scoreBatchSize, { partial: true }),
    ).iterate();
    const parts: { images: ImageBatch; keys: string[]; cls: ArrayLike<number> }[] = [];
    try {
      for await (const b of test) {
        const images = b.png;
        if (images === undefined || !(images.data instanceof Uint8Array))
          throw new Error('Cannot score the test split as its samples need a png image');
        if (!(b.cls instanceof Float64Array))
          throw new Error('Cannot score the test split as its samples need an integer cls label');
        parts.push({ images: padCentre(images, SIZE), keys: b.__key__, cls: b.cls });
      }
    } catch (err) {
      throw new PipelineError('fmnist-anomaly', test.accounting(), err);
    }
    const testAccounting = test.accounting();
    const all = await scoreImages(tf, models.discriminator, parts, { batchSize: scoreBatchSize });
    const labels = new Float64Array(all.scores.length);
    let o = 0;
    for (const p of parts) {
      labels.set(p.cls, o);
      o += p.cls.length;
    }
    const normal = [...labels.keys()].filter((i) => labels[i] === normalClass);
    const oneClass = oneClassAuroc(all.scores, labels, normalClass);
    const perClass: Record<string, number> = {};
    for (const other of [...new Set(labels)].sort((a, b) => a - b)) {
      if (other === normalClass) continue;
      const idx = [...labels.keys()].filter((i) => labels[i] === normalClass || labels[i] === other);
      perClass[String(other)] = oneClassAuroc(
        idx.map((i) => all.scores[i]!),
        idx.map((i) => labels[i]!),
        normalClass,
      );
    }
    // the normal test images, their scores and their OOD versions
    const per = SIZE * SIZE;
    const normalImages = new Uint8Array(normal.length * per);
    const flat = concatImages(parts);
    normal.forEach((i, j) => normalImages.set(flat.subarray(i * per, (i + 1) * per), j * per));
    const normalBatch: ImageBatch = { data: normalImages, shape: [normal.length, SIZE, SIZE, 1] };
    const normalScores = Float32Array.from(normal, (i) => all.scores[i]!);
    const sets = buildOodSets(normalBatch, {
      nda: oodNda,
      corruptions,
      seed: deriveSeed(seed, 'ood'),
      keys: normal.map((i) => all.keys[i]!),
    });
    const oodRows = await scoreOodSets(tf, models.discriminator, normalScores, sets, { batchSize: scoreBatchSize });
    const scoreSeconds = (performance.now() - scoreStart) / 1000;
    const rows: AnomalyRow[] = [
      { set: 'one-class', auroc: oneClass, n: labels.length - normal.length, nIn: normal.length },
      ...oodRows,
    ];
    const result: OneClassExperimentResult = {
      normalClass,
      nda,
      seed,
      steps: trained.steps,
      rows,
      perClass,
      accounting: { train: trainAccounting, test: testAccounting },
      batches,
      samples: batches * batchSize,
      lastLosses: trained.lastLosses,
      trainSeconds,
      scoreSeconds,
      aborted: options.signal?.aborted === true,
    };
    if (runDir !== undefined) {
      await mkdir(runDir, { recursive: true });
      await writeFile(join(runDir, 'anomaly.json'), `${JSON.stringify(result, null, 2)}\n`);
    }
    return result;
  } finally {
    models?.generator.dispose();
    models?.discriminator.dispose();
    optimizers?.generator.dispose();
    optimizers?.discriminator.dispose();
    (ema as { dispose?: () => void } | null)?.dispose?.();
  }
}

function concatImages(parts: readonly { images: ImageBatch }[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.images.data.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p.images.data, o);
    o += p.images.data.length;
  }
  return out;
}
