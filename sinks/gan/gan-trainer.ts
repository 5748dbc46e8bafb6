import type * as TFJS from '@tensorflow/tfjs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkInteger, rangeError, SampleError, typeError } from '../../sources/errors.js';
import { deriveSeed, freshSeed, Random } from '../../sources/random.js';
import type { ImageBatch } from '../../sources/sample.js';
import { saveCheckpoint } from '../checkpoint/save-checkpoint.js';
import { conditionalClasses } from './conditional-classes.js';
import { createGan, GAN_ARCHITECTURES, type GanArchitecture } from './create-gan.js';
import { GeneratorEma, type GeneratorEmaOptions } from './generator-ema.js';
import { discriminatorStep, generatorStep, type GanModels, type GanOptimizers } from './hinge-nda-step.js';
import { imageBatchToTensor } from './to-tensor.js';
import { checkGanStepFitsWasmHeap } from './wasm-heap-check.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';
import { createGanOptimizers } from './gan-optimizers.js';

const TRAIN_NDA_GAN_KEYS = optionKeys<TrainNdaGanOptions>({
  models: true,
  architecture: true,
  ch: true,
  classes: true,
  labelField: true,
  optimizers: true,
  field: true,
  z: true,
  alpha: true,
  beta: true,
  dStepsPerG: true,
  steps: true,
  startStep: true,
  ema: true,
  seed: true,
  runDir: true,
  checkpointEvery: true,
  loaderState: true,
  onStep: true,
  afterStep: true,
});

/** One item {@link trainNdaGan} consumes: a real batch and its NDA negatives (what `ndaPairs` yields). */
export interface GanPair {
  /** The real batch; its image field holds an {@link ImageBatch} `[n, h, w, c]`. */
  readonly real: Record<string, unknown>;
  /** The negatives, the same field and shape. */
  readonly negative: Record<string, unknown>;
}

/** What {@link TrainNdaGanOptions.onStep} reports after each generator step. */
export interface GanStepReport {
  /** Completed generator steps (1 after the first). */
  readonly step: number;
  /** Mean discriminator loss over this step's D updates (`dLossReal + alpha * dLossFake + beta * dLossNegative`). */
  readonly dLoss: number;
  /** Mean over this step's D updates of `mean(relu(1 - D(x)))`. */
  readonly dLossReal: number;
  /** Mean over this step's D updates of `mean(relu(1 + D(G(z))))`, before the alpha weight. */
  readonly dLossFake: number;
  /** Mean over this step's D updates of `mean(relu(1 + D(NDA(x))))`, before the beta weight. */
  readonly dLossNegative: number;
  /** Generator loss of this step. */
  readonly gLoss: number;
  /** Wall time of this step (its D updates and the G update), in milliseconds. */
  readonly msPerStep: number;
}

/** Options of {@link trainNdaGan}. */
export interface TrainNdaGanOptions {
  /**
   * The networks to train.
   * @default the `architecture`'s pair (`createGan(tf, architecture, {z, ch, classes, size: h, channels: c,
   *   seed: deriveSeed(seed, 'weights')})`), built for the first pair's images
   */
  readonly models?: GanModels;
  /**
   * The architecture the trainer builds when `models` is not given: `'dcgan'` (`createDcgan`),
   * `'sn-resnet'` (`createSnResnetGan`) or `'biggan'` (`createBigGan`, BigGAN-32 as the NDA paper's runs).
   * @default 'dcgan'
   */
  readonly architecture?: GanArchitecture;
  /**
   * Base width of the networks the trainer builds (`ch` of `createDcgan` / `createSnResnetGan`);
   * unused with `models`. An integer >= 1.
   * @default the architecture's default (64 for dcgan, 128 for sn-resnet, 64 (256 channels) for biggan)
   */
  readonly ch?: number;
  /**
   * Number of classes: the trainer builds class-conditional networks with it. With `models` it is read
   * from them (`conditionalClasses`) and, when given, must match.
   * @default undefined (unconditional, or the models' classes)
   */
  readonly classes?: number;
  /**
   * With conditional models: the real batch's field holding each sample's class (an array of integers,
   * or of strings / Buffers holding decimal integers, as `batch` collates an undecoded `cls`). The
   * negatives keep their source's class; the fakes' classes are drawn uniformly, D update k of step s
   * from `Random.derive(seed, 'y', s, k)`, the G update `k = dStepsPerG` (like the latents).
   * @default 'cls'
   */
  readonly labelField?: string;
  /**
   * One optimizer per network.
   * @default Adam 2e-4, betas (0, 0.999) for each
   */
  readonly optimizers?: GanOptimizers;
  /**
   * The image field of the pairs' batches.
   * @default the first field of the real batch (not `__`-prefixed) holding an image batch
   */
  readonly field?: string;
  /**
   * Latent size.
   * @default the generator's input size with `models`, else 128
   */
  readonly z?: number;
  /** Weight of the fake term in the D loss (alpha 1, beta 0: the plain hinge GAN). @default 0.25 */
  readonly alpha?: number;
  /** Weight of the NDA-negative term in the D loss. @default 0.75 */
  readonly beta?: number;
  /** D updates (one pair each) per G update. An integer >= 1. @default 4 */
  readonly dStepsPerG?: number;
  /**
   * The generator step count the run stops at (a run resumed at `startStep` runs `steps - startStep`
   * more). It also stops when the pairs end. An integer >= 0, or Infinity.
   * @default Infinity (until the pairs end)
   */
  readonly steps?: number;
  /** Completed generator steps when resuming (from `loadCheckpoint`'s `step`). @default 0 */
  readonly startStep?: number;
  /**
   * The generator's moving average: a {@link GeneratorEma} (updated with the step after each G step),
   * its options (one is built and returned), or `false` for none.
   * @default false
   */
  readonly ema?: GeneratorEma | GeneratorEmaOptions | false;
  /**
   * Seed of the latents: D update k of step s draws `tf.randomNormal([n, z], 0, 1, 'float32',
   * deriveSeed(seed, 'z', s, k))`, the G update `k = dStepsPerG`, so a resumed run draws the same noise.
   * An integer in [0, 2^32 - 1].
   * @default a fresh seed (returned)
   */
  readonly seed?: number;
  /**
   * Run folder: `metrics.jsonl` (one JSON line `{step, dLoss, dLossReal, dLossFake, dLossNegative, gLoss, msPerStep}` per G step; a run
   * from step 0 starts it afresh, a resumed one appends) and the checkpoints.
   * @default undefined (nothing written)
   */
  readonly runDir?: string;
  /**
   * Save a checkpoint (`saveCheckpoint`) after every `checkpointEvery` G steps and after the last one.
   * Needs `runDir`. An integer >= 1.
   * @default undefined (no checkpoints)
   */
  readonly checkpointEvery?: number;
  /** The loader's state for the checkpoints (e.g. `() => iteration.state()`). @default none saved */
  readonly loaderState?: () => unknown;
  /** Called after each G step. @default none */
  readonly onStep?: (report: GanStepReport) => void;
  /**
   * Awaited after each G step, once its metrics line and checkpoint are written and before the next
   * step reads a pair: for work between steps that the step's numbers do not carry (an evaluation
   * every N steps, as the official `--test_every`). @default none
   */
  readonly afterStep?: (step: number) => Promise<void> | void;
}

/** What {@link trainNdaGan} returns. */
export interface TrainNdaGanResult {
  /** Completed generator steps (counting `startStep`). */
  readonly steps: number;
  /** The losses of the last G step (`null` when none ran). */
  readonly lastLosses: { readonly dLoss: number; readonly gLoss: number } | null;
  /** The networks trained (built ones are the caller's to dispose). */
  readonly models: GanModels | null;
  /** The optimizers used (built ones are the caller's to dispose). */
  readonly optimizers: GanOptimizers | null;
  /** The moving average (built ones are the caller's to dispose), or null. */
  readonly ema: GeneratorEma | null;
  /** The latent seed used. */
  readonly seed: number;
}

const ACTION = 'train an NDA-GAN';

/**
 * The NDA-GAN trainer sink (issue 4): consumes `{real, negative}` pairs (from `ndaPairs`), one per D
 * update; after `dStepsPerG` D updates (hinge loss with the NDA term, see `discriminatorStep`), one G
 * update (`generatorStep`) with fresh latents. Pixels become float32 tensors in [-1, 1] at the boundary
 * (`imageBatchToTensor`) and every tensor of a step is released after it: the tensor count is flat.
 * Writes `metrics.jsonl` and checkpoints into `runDir` when asked. Leaving early (steps reached)
 * returns the pairs' iterator (which releases a loader).
 *
 * `tf` is the `@tensorflow/tfjs` module (backend chosen, e.g. by `selectBackend`).
 *
 * @throws RangeError/TypeError for a bad option (before reading a pair), or a pair without the image
 *   field or with images the networks refuse; errors of the pairs' iterator as they are.
 */
export async function trainNdaGan(
  tf: typeof TFJS,
  pairs: AsyncIterable<GanPair>,
  options: TrainNdaGanOptions = {},
): Promise<TrainNdaGanResult> {
  checkOptionKeys('trainNdaGan', options, TRAIN_NDA_GAN_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const alpha = checkWeight('alpha', options.alpha ?? 0.25);
  const beta = checkWeight('beta', options.beta ?? 0.75);
  const dStepsPerG = checkInteger(ACTION, 'dStepsPerG', options.dStepsPerG ?? 4, 1, 1 << 20);
  const steps =
    options.steps === undefined || options.steps === Infinity
      ? Infinity
      : checkInteger(ACTION, 'steps', options.steps, 0);
  const startStep = checkInteger(ACTION, 'startStep', options.startStep ?? 0, 0);
  const seed = options.seed === undefined ? freshSeed() : checkInteger(ACTION, 'seed', options.seed, 0, 0xffffffff);
  if ((options.models === undefined) !== (options.optimizers === undefined) && options.optimizers !== undefined) {
    throw typeError(ACTION, 'optimizers need the models they were made for', 'optimizers without models');
  }
  const modelZ = options.models?.generator.inputs[0]?.shape[1];
  const z = checkInteger(ACTION, 'z', options.z ?? modelZ ?? 128, 1, 1 << 16);
  if (modelZ !== undefined && modelZ !== null && modelZ !== z)
    throw rangeError(ACTION, `z must be the generator's input size ${modelZ}`, z);
  const checkpointEvery =
    options.checkpointEvery === undefined
      ? undefined
      : checkInteger(ACTION, 'checkpointEvery', options.checkpointEvery, 1);
  const runDir = options.runDir;
  if (runDir !== undefined && (typeof runDir !== 'string' || runDir === ''))
    throw typeError(ACTION, 'runDir must be a non-empty string', runDir);
  if (checkpointEvery !== undefined && runDir === undefined)
    throw typeError(ACTION, 'checkpointEvery needs a runDir', checkpointEvery);
  if (options.field !== undefined && typeof options.field !== 'string')
    throw typeError(ACTION, 'field must be a string', options.field);
  for (const name of ['onStep', 'afterStep', 'loaderState'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function')
      throw typeError(ACTION, `${name} must be a function`, typeof options[name]);
  }
  const architecture = options.architecture ?? 'dcgan';
  if (!(GAN_ARCHITECTURES as readonly string[]).includes(architecture))
    throw rangeError(ACTION, `architecture must be one of ${GAN_ARCHITECTURES.join(', ')}`, architecture);
  const ch = options.ch === undefined ? undefined : checkInteger(ACTION, 'ch', options.ch, 1, 1 << 12);
  let classes = options.classes === undefined ? null : checkInteger(ACTION, 'classes', options.classes, 1, 1 << 16);
  if (options.models !== undefined) {
    const modelClasses = conditionalClasses(options.models.generator);
    if (classes !== null && classes !== modelClasses)
      throw rangeError(ACTION, `classes must be the models' ${String(modelClasses)}`, classes);
    classes = modelClasses;
  }
  const labelField = options.labelField ?? 'cls';
  if (typeof labelField !== 'string' || labelField === '')
    throw typeError(ACTION, 'labelField must be a non-empty string', labelField);
  const emaOption = options.ema ?? false;
  if (emaOption !== false && (typeof emaOption !== 'object' || emaOption === null))
    throw typeError(ACTION, 'ema must be a GeneratorEma, its options or false', emaOption);

  let models: GanModels | null = options.models ?? null;
  let optimizers: GanOptimizers | null = options.optimizers ?? null;
  let ema: GeneratorEma | null = emaOption instanceof GeneratorEma ? emaOption : null;
  let heapChecked = false;
  const setup = (images: ImageBatch): void => {
    if (models === null) {
      const built = {
        z,
        size: images.shape[1],
        channels: images.shape[3],
        seed: deriveSeed(seed, 'weights'),
        ...(ch === undefined ? {} : { ch }),
        ...(classes === null ? {} : { classes }),
      };
      models = createGan(tf, architecture, built);
    }
    if (!heapChecked) {
      checkGanStepFitsWasmHeap(tf, models, images.shape[0], ACTION);
      heapChecked = true;
    }
    optimizers ??= createGanOptimizers(tf);
    if (ema === null && emaOption !== false) ema = new GeneratorEma(tf, models.generator, emaOption);
  };

  const metrics = runDir === undefined ? undefined : join(runDir, 'metrics.jsonl');
  if (runDir !== undefined) await mkdir(runDir, { recursive: true });
  if (metrics !== undefined && startStep === 0) await writeFile(metrics, '');

  let step = startStep;
  let lastLosses: { dLoss: number; gLoss: number } | null = null;
  let field = options.field;
  const iterator = pairs[Symbol.asyncIterator]();
  let finished = false;
  try {
    while (step < steps) {
      const started = performance.now();
      const dSum = { loss: 0, real: 0, fake: 0, negative: 0 };
      let n = 0;
      for (let k = 0; k < dStepsPerG; k++) {
        const next = await iterator.next();
        if (next.done === true) {
          finished = true;
          return result();
        }
        const pair = next.value;
        field ??= findImageField(pair?.real);
        const real = imagesOf(pair?.real, field, 'real');
        const negative = imagesOf(pair?.negative, field, 'negative');
        setup(real);
        n = real.shape[0];
        const tensors: TFJS.Tensor[] = [];
        try {
          const realT = imageBatchToTensor(tf, real);
          tensors.push(realT);
          const negT = imageBatchToTensor(tf, negative);
          tensors.push(negT);
          const zT = tf.randomNormal<TFJS.Rank.R2>([n, z], 0, 1, 'float32', deriveSeed(seed, 'z', step, k));
          tensors.push(zT);
          let labelled = {};
          if (classes !== null) {
            const labels = tf.tensor2d(labelsOf(pair.real, labelField, n, classes), [n, 1], 'int32');
            tensors.push(labels);
            const fakeLabels = tf.tensor2d(drawLabels(seed, step, k, n, classes), [n, 1], 'int32');
            tensors.push(fakeLabels);
            labelled = { labels, fakeLabels };
          }
          const d = await discriminatorStep(tf, models!, optimizers!, {
            real: realT,
            negative: negT,
            z: zT,
            alpha,
            beta,
            ...labelled,
          });
          dSum.loss += d.loss;
          dSum.real += d.real;
          dSum.fake += d.fake;
          dSum.negative += d.negative;
        } finally {
          tf.dispose(tensors);
        }
      }
      const zG = tf.randomNormal<TFJS.Rank.R2>([n, z], 0, 1, 'float32', deriveSeed(seed, 'z', step, dStepsPerG));
      const labelsG =
        classes === null ? undefined : tf.tensor2d(drawLabels(seed, step, dStepsPerG, n, classes), [n, 1], 'int32');
      let gLoss: number;
      try {
        gLoss = await generatorStep(tf, models!, optimizers!, zG, labelsG);
      } finally {
        zG.dispose();
        labelsG?.dispose();
      }
      step++;
      ema?.update(step);
      const dLoss = dSum.loss / dStepsPerG;
      lastLosses = { dLoss, gLoss };
      const report: GanStepReport = {
        step,
        dLoss,
        dLossReal: dSum.real / dStepsPerG,
        dLossFake: dSum.fake / dStepsPerG,
        dLossNegative: dSum.negative / dStepsPerG,
        gLoss,
        msPerStep: performance.now() - started,
      };
      if (metrics !== undefined) await appendFile(metrics, `${JSON.stringify(report)}\n`);
      options.onStep?.(report);
      if (checkpointEvery !== undefined && (step % checkpointEvery === 0 || step === steps)) await checkpoint();
      await options.afterStep?.(step);
    }
    return result();
  } finally {
    if (!finished) await iterator.return?.();
  }

  async function checkpoint(): Promise<void> {
    await saveCheckpoint(tf, runDir!, {
      models: models!,
      optimizers: optimizers!,
      ...(ema !== null ? { ema } : {}),
      step,
      loaderState: options.loaderState?.(),
    });
  }

  function result(): TrainNdaGanResult {
    return { steps: step, lastLosses, models, optimizers, ema, seed };
  }
}

/** The fakes' classes of D update (or G update, k = dStepsPerG) k of step s: uniform, seeded. */
function drawLabels(seed: number, step: number, k: number, n: number, classes: number): Int32Array {
  const rng = Random.derive(seed, 'y', step, k);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(0, classes - 1);
  return out;
}

/** The real batch's class labels as int32, each checked to be an integer in [0, classes). */
function labelsOf(batch: unknown, field: string, n: number, classes: number): Int32Array {
  const b = (typeof batch === 'object' && batch !== null ? batch : {}) as Record<string, unknown>;
  const keys = Array.isArray(b.__key__) ? (b.__key__ as unknown[]) : [];
  const urls = Array.isArray(b.__url__) ? (b.__url__ as unknown[]) : [];
  const values = b[field];
  const list = Array.isArray(values) || ArrayBuffer.isView(values) ? (values as ArrayLike<unknown>) : undefined;
  if (list === undefined || list.length !== n) {
    throw new SampleError(
      'label',
      `Cannot read the class labels of a batch as its field ${JSON.stringify(field)} must hold ${n} labels: it holds ${list === undefined ? typeof values : list.length}`,
      { field },
    );
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const value = list[i];
    const text =
      typeof value === 'number'
        ? String(value)
        : typeof value === 'string'
          ? value
          : value instanceof Uint8Array
            ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')
            : undefined;
    const label = text !== undefined && /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      const key = typeof keys[i] === 'string' ? (keys[i] as string) : undefined;
      const url = typeof urls[i] === 'string' ? (urls[i] as string) : undefined;
      throw new SampleError(
        'label',
        `Cannot read a class label as it must be an integer in [0, ${classes}): it is ${text === undefined ? typeof value : JSON.stringify(text)}`,
        { field, key, url },
      );
    }
    out[i] = label;
  }
  return out;
}

function checkWeight(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(ACTION, `${name} must be a number`, value);
  if (!Number.isFinite(value) || value < 0) throw rangeError(ACTION, `${name} must be finite and >= 0`, value);
  return value;
}

function isImageBatch(value: unknown): value is ImageBatch {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ImageBatch>;
  return (
    (v.data instanceof Uint8Array || v.data instanceof Float32Array) && Array.isArray(v.shape) && v.shape.length === 4
  );
}

function findImageField(batch: unknown): string {
  if (typeof batch === 'object' && batch !== null) {
    for (const [key, value] of Object.entries(batch)) if (!key.startsWith('__') && isImageBatch(value)) return key;
  }
  throw typeError(
    ACTION,
    'each pair must have a real batch with an image batch field',
    batch === null || typeof batch !== 'object' ? batch : Object.keys(batch),
  );
}

function imagesOf(batch: unknown, field: string, side: string): ImageBatch {
  const value = typeof batch === 'object' && batch !== null ? (batch as Record<string, unknown>)[field] : undefined;
  if (!isImageBatch(value))
    throw typeError(ACTION, `the ${side} batch's field ${field} must be an image batch [n, h, w, c]`, typeof value);
  return value;
}
