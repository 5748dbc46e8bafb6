import type { Batch, ImageBatch } from '../../sources/sample.js';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batch } from '../../operators/batch.js';
import { decode } from '../../operators/decode.js';
import { createNdaTransform } from '../../operators/internal/nda-transforms.js';
import { ndaPairs } from '../../operators/nda-pairs.js';
import { BEST_FOLDER, keepBestCheckpoint } from '../../sinks/checkpoint/best-checkpoint.js';
import { loadCheckpoint } from '../../sinks/checkpoint/load-checkpoint.js';
import { pruneCheckpoints } from '../../sinks/checkpoint/prune-checkpoints.js';
import { writeSampleGrid } from '../../sinks/eval/write-sample-grid.js';
import { createGan, GAN_ARCHITECTURES, type GanArchitecture } from '../../sinks/gan/create-gan.js';
import { checkGanStepFitsWasmHeap } from '../../sinks/gan/wasm-heap-check.js';
import { trainNdaGan, type GanPair } from '../../sinks/gan/gan-trainer.js';
import { GeneratorEma } from '../../sinks/gan/generator-ema.js';
import { RUN_FILES, trimRunFolder, writeRunConfig } from '../../sinks/report/run-folder.js';
import { rangeError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import type { HandlerName } from '../../sources/handlers.js';
import { createLoader, type LoaderStage } from '../../sources/loader.js';
import type { LoaderState } from '../../sources/loader-state.js';
import { deriveSeed } from '../../sources/random.js';
import { commonOptions, readOptions } from '../common-options.js';
import type { PipelineRunContext } from '../define-pipeline.js';
import { ndaOptions, ndaTransformOptions } from '../nda-options.js';
import { PipelineError } from '../pipeline-error.js';
import { choiceOption, flagOption, intOption, numberOption } from '../pipeline-option.js';
import type { PipelineOptionValues, PipelineResult } from '../pipeline.js';
import { givenOptions } from './given-options.js';
import { fmnistGeneratorScore } from './fmnist-generator-score.js';
import { GAN_PRESETS, PAPER_PRESET, PRESET_OPTION_KEYS, stepsForEpochs } from './gan-preset.js';
import { shardCensus } from './shard-census.js';
import { readResumedConfig } from './resumed-config.js';
import {
  checkShardsReadable,
  checkTrainingOptions,
  claimRunFolder,
  defaultRunDir,
  resumedRunDir,
  runSeed,
  finishTrainingRun,
  stepReporter,
  trainingBackend,
} from './training-run.js';
import { createGanOptimizers } from '../../sinks/gan/gan-optimizers.js';

/** The `nda` values of the GAN pipelines: `none` trains the plain hinge GAN (alpha 1, beta 0). */
export const GAN_PIPELINE_NDA = ['none', 'jigsaw', 'stitch', 'mixup', 'cutout', 'cutmix'] as const;

/** What differs between the GAN pipelines (`fmnist-gan`, `cifar10-gan`, `cifar100-gan`). */
export interface GanPipelineSpec {
  /** The pipeline's name (`fmnist-gan`), also the prefix of its default run folder. */
  readonly name: string;
  /** The shards read when the run names none. */
  readonly defaultShards: () => string | readonly string[];
  /** How the images are decoded. */
  readonly image: 'gray' | 'rgb';
  /** Image channels after decoding (1 or 3). */
  readonly channels: 1 | 3;
  /** Image side the networks see (a multiple of 8). */
  readonly size: number;
  /**
   * The test shards that the generator's FID/KID are measured against, or undefined for none (no
   * in-domain classifier: the Fashion-MNIST one only fits Fashion-MNIST).
   */
  readonly testShards?: (options: GanPipelineOptions) => string | readonly string[];
  /**
   * Stages between decoding and batching (padding 28 -> 32, flips), given the run's seed, error policy
   * and whether the positive augmentation is on (`--no-flip`, `--preset paper` turn it off).
   */
  readonly augment: (seed: number, handler: HandlerName | undefined, on: boolean) => LoaderStage[];
  /**
   * What the positive augmentation is, on and off, as `config.json` records it (`augmentation`), and
   * its option's flag (`flip`, as in {@link GanOptionsDescription}).
   */
  readonly augmentation: { readonly on: string; readonly off: string; readonly flag: string };
}

/** The resolved configuration of a GAN run, saved as the run folder's `config.json`. */
export interface GanRunConfig {
  readonly pipeline: string;
  /** The preset the run started from (`paper`), or null. */
  readonly preset: string | null;
  /** The options given on top of the preset, as flags (`--ch`, `--steps`); [] without a preset. */
  readonly presetOverrides: readonly string[];
  readonly seed: number;
  readonly nda: string;
  /** The NDA transform's options (`{k: 4}` from `--jigsaw-k 4`); {} for its defaults. */
  readonly ndaOptions: Readonly<Record<string, unknown>>;
  readonly alpha: number;
  readonly beta: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly shuffle: number;
  readonly epochs: number | 'unbounded';
  readonly shards: string | readonly string[];
  /** What the generator's FID/KID are measured against, or null for no evaluation. */
  readonly testShards: string | readonly string[] | null;
  readonly handler: string;
  /** Whether the positive augmentation (flip, pad-and-crop) is on, and what it is. */
  readonly augment: boolean;
  readonly augmentation: string;
  /** Training samples in one pass (counted when the steps come from epochs or the classes from the labels), or null. */
  readonly samples: number | null;
  readonly architecture: GanArchitecture;
  /** Classes of a class-conditional run (the largest `cls` label of the training shards + 1), or null. */
  readonly classes: number | null;
  readonly z: number;
  readonly ch: number;
  readonly size: number;
  readonly channels: number;
  readonly dStepsPerG: number;
  readonly optimizer: string;
  readonly ema: { readonly decay: number; readonly start: number };
  readonly checkpointEvery: number;
  /** Checkpoints kept (the newest ones; the official `num_save_copies`). */
  readonly keepCheckpoints: number;
  /**
   * FID/KID of the EMA generator every `every` steps from step `from` on (with test shards), besides
   * the one at the end; `every` null: at the end only.
   */
  readonly evaluation: { readonly every: number | null; readonly from: number };
}

/** Options a resumed run takes from its saved config; giving a different value is refused. */
type FixedOnResume =
  | 'seed'
  | 'nda'
  | 'ndaOptions'
  | 'alpha'
  | 'beta'
  | 'batchSize'
  | 'shuffle'
  | 'epochs'
  | 'shards'
  | 'handler'
  | 'architecture'
  | 'preset'
  | 'ch'
  | 'augment';
/**
 * Base width per architecture: SN-ResNet's residual blocks cost ~4x a DCGAN's at one width on a CPU;
 * BigGAN's `ch` is a multiplier (4 * ch channels), 8 gives SN-ResNet's 32 channels (the paper: 64).
 */
const DEFAULT_CH: Readonly<Record<GanArchitecture, number>> = { dcgan: 64, 'sn-resnet': 32, biggan: 8 };
const DEFAULTS = {
  nda: 'jigsaw',
  alpha: 0.25,
  beta: 0.75,
  steps: 200,
  batchSize: 64,
  shuffle: 1000,
  z: 128,
  dStepsPerG: 4,
  keepCheckpoints: 2,
} as const;

/** The image NDA transforms the GAN pipelines train with (each has options: `--jigsaw-k`, `--cutout-size`, ...). */
const GAN_TRANSFORMS = ['jigsaw', 'stitch', 'mixup', 'cutout', 'cutmix'] as const;
/** The transforms that pair each image with a partner (`--partners`). */
const PARTNER_TRANSFORMS: readonly string[] = ['stitch', 'mixup', 'cutmix'];

/** What a GAN pipeline says about itself in its options' `--help`. */
export interface GanOptionsDescription {
  /** What `--shards` reads by default. */
  readonly shards: string;
  /** What `--test-shards` reads by default; undefined: the pipeline takes no test shards. */
  readonly testShards?: string;
  /** The positive augmentation's flag (`flip`: `--flip`/`--no-flip`) and help line. */
  readonly augmentation: { readonly flag: string; readonly help: string };
  /** Whether the networks are class-conditional by default (`cifar100-gan`). @default false */
  readonly conditional?: boolean;
}

/**
 * The options of a GAN pipeline (`fmnist-gan`, `cifar10-gan`, `cifar100-gan`), declared once: the
 * common read and training options, `--preset paper` (the official settings, see `PAPER_PRESET`;
 * options given with it win and are recorded as `presetOverrides`), `--nda` and every option of its
 * transforms, `--partners`, the NDA-GAN loss weights `--alpha` and `--beta`, `--arch`, `--ch`,
 * `--conditional`, the positive augmentation's switch (`--no-flip`, `--no-crop`), `--checkpoint-every`,
 * `--eval-every`, `--no-eval`, the run folder, `--resume` and `--overwrite`. `describe` says the
 * pipeline's own defaults in `--help`.
 */
export function ganPipelineOptions(describe: GanOptionsDescription) {
  return {
    preset: choiceOption(GAN_PRESETS, {
      help: "the paper's official settings (train_C10.sh): BigGAN-32 at ch 64, batch 64, 4 D steps, Adam 2e-4 (0, 0.999), EMA 0.9999 from step 1000, no flip, official partners, 500 epochs, checkpoints every 2000 steps, FID every 5000 from epoch 50; options given with it override it",
      defaultText: 'none',
    }),
    ...readOptions,
    shards: commonOptions.shards.with({ defaultText: describe.shards }),
    ...(describe.testShards !== undefined
      ? { testShards: commonOptions.testShards.with({ defaultText: describe.testShards }) }
      : {}),
    epochs: commonOptions.epochs.with({ defaultText: 'as many as the steps need' }),
    batchSize: commonOptions.batchSize.withDefault(DEFAULTS.batchSize),
    shuffle: commonOptions.shuffle.withDefault(DEFAULTS.shuffle),
    steps: commonOptions.steps.withDefault(DEFAULTS.steps, `${DEFAULTS.steps}; resuming: the saved target`),
    nda: choiceOption(GAN_PIPELINE_NDA, {
      default: DEFAULTS.nda,
      help: 'negative data augmentation of the discriminator (none: the plain hinge GAN)',
    }),
    ...ndaOptions(GAN_TRANSFORMS),
    alpha: numberOption({
      min: 0,
      help: 'NDA-GAN D loss: weight of the fake term alpha*mean(relu(1 + D(G(z))))',
      defaultText: `${DEFAULTS.alpha}; 1 with --nda none`,
    }),
    beta: numberOption({
      min: 0,
      help: 'NDA-GAN D loss: weight of the negative term beta*mean(relu(1 + D(NDA(x))))',
      defaultText: `${DEFAULTS.beta}; 0 with --nda none, which takes no other`,
    }),
    partners: choiceOption(['derangement', 'official'] as const, {
      help: "stitch, mixup, cutmix: each image's partner from a derangement of the batch (never itself) or the official draw (a random non-identity permutation)",
      defaultText: 'derangement; official with --preset paper',
    }),
    architecture: choiceOption(GAN_ARCHITECTURES, {
      default: 'dcgan',
      flag: 'arch',
      help: 'network pair (biggan: BigGAN-32 of the paper; sn-resnet: the SN-ResNet)',
      defaultText: 'dcgan; biggan with --preset paper',
    }),
    ch: intOption({
      min: 1,
      max: 4096,
      help: "the networks' base width (biggan: a multiplier, 4 * ch channels; the paper's 64)",
      defaultText: '64 (dcgan), 32 (sn-resnet), 8 (biggan); 64 with --preset paper',
    }),
    conditional: flagOption({
      default: describe.conditional ?? false,
      help: 'class-conditional networks on the cls labels, for as many classes as the training shards have',
    }),
    augment: flagOption({ default: true, flag: describe.augmentation.flag, help: describe.augmentation.help }),
    checkpointEvery: intOption({
      min: 1,
      help: 'save a checkpoint every N steps (and at the end; the newest 2 kept)',
      defaultText: 'a quarter of the steps, at most 500; 2000 with --preset paper',
    }),
    evalEvery: intOption({
      min: 1,
      help: 'measure FID/KID of the EMA generator every N steps too (with test shards), not only at the end',
      defaultText: 'at the end only; 5000 from epoch 50 with --preset paper',
      resumable: true,
    }),
    backend: commonOptions.backend,
    runDir: commonOptions.runDir.with({ defaultText: 'runs/<name>-<nda>-seed<seed>' }),
    resume: commonOptions.resume.with({
      help: 'continue the run in --run-dir from its latest checkpoint, with its saved config (--steps may raise the target)',
    }),
    overwrite: commonOptions.overwrite,
    evaluate: commonOptions.evaluate.with({
      help: 'measure FID/KID of the EMA generator on the test split at the end',
    }),
  };
}

/** The checked options of a GAN pipeline run. */
export type GanPipelineOptions = PipelineOptionValues<ReturnType<typeof ganPipelineOptions>> & {
  readonly testShards?: string | undefined;
};

/**
 * Runs a GAN pipeline (the body of `fmnist-gan`, `cifar10-gan` and `cifar100-gan`): shards -> shuffle -> decode ->
 * `spec.augment` -> batch (full batches) -> `ndaPairs` (unless `nda: 'none'`) -> `trainNdaGan` (a DCGAN,
 * ch 64, or with `architecture: 'sn-resnet'` the SN-ResNet pair, ch 32; class-conditional on the `cls`
 * field with `conditional`; 4 D steps per G step, hinge loss with the NDA term, EMA of G) on the
 * backend `selectBackend` picks.
 * The run folder gets `config.json` (the resolved configuration) at start, `metrics.jsonl` per step,
 * checkpoints every `checkpointEvery` steps and at the end (the newest two kept), FID/KID of the EMA
 * generator against `spec.testShards` every `evaluation.every` steps (`--eval-every`) and at the end
 * (`eval.jsonl`), the checkpoint of the best FID so far in `best/` (with `best/best.json` `{step, fid}`,
 * kept across `resume`), a sample grid of the EMA generator (`samples-step-NNNNNN.png`) and `report.html`, whose path is logged. `resume` continues the run folder's
 * latest checkpoint with its saved configuration: the same samples and noise as an uninterrupted run.
 *
 * @throws RangeError/TypeError for a bad option or one that contradicts the resumed run's config
 *   (before anything is read); Error when there is nothing to resume; PipelineError (with the
 *   accounting so far) when the stream or the training fails.
 */
export async function runGanPipeline(
  spec: GanPipelineSpec,
  options: GanPipelineOptions,
  context: PipelineRunContext,
): Promise<PipelineResult> {
  const action = `run ${spec.name}`;
  const log = context.log;
  const config = await resolveConfig(spec, options, context, action, log);
  const runDir = options.runDir ?? defaultRunDir(spec.name, config.nda, config.seed);
  // every input is checked before the run folder changes: a failed start leaves it as it was
  await checkShardsReadable(action, 'shards', config.shards);
  if (options.evaluate !== false) await checkShardsReadable(action, 'test', config.testShards ?? null);
  const clearFolder = options.resume === true ? null : await claimRunFolder(action, runDir, options);
  const { tf, description: backend, name: backendName } = await trainingBackend(options, log);

  const shape = {
    z: config.z,
    ch: config.ch,
    size: config.size,
    channels: config.channels,
    seed: deriveSeed(config.seed, 'weights'),
    ...(config.classes !== null ? { classes: config.classes } : {}),
  };
  const models = createGan(tf, config.architecture, shape);
  try {
    checkGanStepFitsWasmHeap(tf, models, config.batchSize, action); // before the run folder changes
  } catch (error) {
    models.generator.dispose();
    models.discriminator.dispose();
    throw error;
  }
  const optimizers = createGanOptimizers(tf);
  const ema = new GeneratorEma(tf, models.generator, config.ema);
  const release = () => {
    models.generator.dispose();
    models.discriminator.dispose();
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
    ema.dispose();
  };
  try {
    let startStep = 0;
    let resumeFrom: LoaderState | undefined;
    if (options.resume === true) {
      const loaded = await loadCheckpoint(tf, runDir, { models, optimizers, ema });
      startStep = loaded.step;
      resumeFrom = (loaded.loaderState ?? undefined) as LoaderState | undefined;
      await trimRunFolder(runDir, startStep);
      log(`resuming ${runDir} at step ${startStep} of ${config.steps}`);
    } else await clearFolder?.();
    await writeRunConfig(runDir, { ...config, backend: backendName });

    const source = fromShards(config.shards, {
      seed: config.seed,
      shuffle: config.shuffle,
      epochs: config.epochs === 'unbounded' ? Infinity : config.epochs,
      handler: options.handler,
      allowPipe: options.allowPipe,
    });
    const stages: LoaderStage[] = [
      decode({ image: spec.image, handler: options.handler }),
      ...spec.augment(config.seed, options.handler, config.augment),
      batch(config.batchSize, { partial: false }),
    ];
    if (config.nda !== 'none')
      stages.push(
        ndaPairs({
          transforms: { name: config.nda, options: config.ndaOptions ?? {} },
          seed: deriveSeed(config.seed, 'nda'),
          batchSize: config.batchSize,
          handler: options.handler,
        }),
      );
    const it = createLoader<unknown>(source, stages).iterate(resumeFrom !== undefined ? { resumeFrom } : {});
    let batches = 0;
    async function* pairs(): AsyncGenerator<GanPair> {
      for await (const item of it) {
        batches++;
        context.onProgress?.(batches * config.batchSize, batches);
        yield config.nda === 'none' ? { real: item as Batch, negative: item as Batch } : (item as GanPair);
        if (context.signal?.aborted) return;
      }
    }

    const report = stepReporter(context, log, config.steps, startStep);
    const start = performance.now();
    let trained: Awaited<ReturnType<typeof trainNdaGan>>;
    try {
      trained = await trainNdaGan(tf, pairs(), {
        models,
        optimizers,
        ema,
        alpha: config.alpha,
        beta: config.beta,
        dStepsPerG: config.dStepsPerG,
        ...(config.classes !== null ? { labelField: 'cls' } : {}),
        steps: config.steps,
        startStep,
        seed: deriveSeed(config.seed, 'gan'),
        runDir,
        checkpointEvery: config.checkpointEvery,
        loaderState: () => it.state(),
        onStep: (r) => report(r.step, r.msPerStep, `dLoss ${r.dLoss.toFixed(4)} gLoss ${r.gLoss.toFixed(4)}`),
        afterStep: async (step) => {
          // the official --test_every/--start_eval: the end has its own evaluation (finishRun)
          const { every, from } = config.evaluation;
          if (every !== null && step >= from && step % every === 0 && step !== config.steps) await evaluate(step);
        },
      });
      if (trained.steps % config.checkpointEvery !== 0 && trained.steps !== config.steps && trained.steps > startStep) {
        // stopped early (Ctrl-C, or the data ran out): keep what was trained
        await saveFinal();
      }
      await pruneCheckpoints(runDir, config.keepCheckpoints);
    } catch (err) {
      throw new PipelineError(spec.name, it.accounting(), err);
    }
    const seconds = (performance.now() - start) / 1000;
    const score = await finishRun(trained.steps);
    return await finishTrainingRun(
      {
        pipeline: spec.name,
        runDir,
        nda: config.nda,
        seed: config.seed,
        backend,
        steps: trained.steps,
        startStep,
        seconds,
        batches,
        batchSize: config.batchSize,
        accounting: it.accounting(),
        aborted: context.signal?.aborted === true,
        details:
          trained.lastLosses !== null ? { dLoss: trained.lastLosses.dLoss, gLoss: trained.lastLosses.gLoss } : {},
        ...(score !== null ? { results: { fid: score.fid, kid: score.kid, kidStd: score.kidStd } } : {}),
      },
      log,
    );

    /**
     * A sample grid of the EMA generator and (with test shards) its FID/KID, recorded in the run
     * folder; returns the scores (null when not evaluated).
     */
    async function finishRun(step: number): Promise<{ fid: number; kid: number; kidStd: number } | null> {
      const tag = String(step).padStart(6, '0');
      // a conditional grid shows one class per row, at most 10 of them
      const rows = config.classes === null ? 8 : Math.min(config.classes, 10);
      const grid = await ema.withEmaWeights(() =>
        writeSampleGrid(tf, models.generator, join(runDir, `samples-step-${tag}.png`), {
          rows,
          cols: 8,
          seed: config.seed,
        }),
      );
      log(`samples: ${grid.path}`);
      return context.signal?.aborted ? null : await evaluate(step);
    }

    /**
     * With test shards (and evaluation on): FID/KID of the EMA generator, appended to eval.jsonl and
     * logged; a lower FID than the best so far keeps this step's checkpoint in best/ (`keepBestCheckpoint`).
     * Returns the scores (null when not evaluated).
     */
    async function evaluate(step: number): Promise<{ fid: number; kid: number; kidStd: number } | null> {
      const testShards = config.testShards ?? null;
      if (testShards === null || !options.evaluate || context.signal?.aborted) return null;
      const score = await ema.withEmaWeights(() =>
        fmnistGeneratorScore(tf, models.generator, testShards, {
          seed: deriveSeed(config.seed, 'eval'),
          handler: options.handler,
        }),
      );
      const row = { step, fid: score.fid, kid: score.kid.mean, kidStd: score.kid.std, n: score.n, generator: 'ema' };
      await appendFile(join(runDir, RUN_FILES.evaluations), `${JSON.stringify(row)}\n`);
      log(
        `evaluation (EMA generator, ${score.n} generated vs ${score.n} test images): FID ${score.fid.toFixed(3)}, KID ${score.kid.mean.toFixed(4)} ± ${score.kid.std.toFixed(4)}`,
      );
      const best = await keepBestCheckpoint(tf, runDir, {
        models,
        optimizers,
        ema,
        step,
        loaderState: it.state(),
        fid: score.fid,
        extra: { kid: score.kid.mean, generator: 'ema' },
      });
      if (best !== null) log(`best FID so far: the checkpoint of step ${step} kept in ${join(runDir, BEST_FOLDER)}`);
      return { fid: score.fid, kid: score.kid.mean, kidStd: score.kid.std };
    }

    async function saveFinal(): Promise<void> {
      const { saveCheckpoint } = await import('../../sinks/checkpoint/save-checkpoint.js');
      await saveCheckpoint(tf, runDir, { models, optimizers, ema, step: trained.steps, loaderState: it.state() });
    }
  } finally {
    release();
  }
}

/**
 * Runs the NDA transform once on a blank batch of the pipeline's image size, so that an option that
 * does not fit the images (`--jigsaw-k 3` on 32 px) fails before anything is read, not at the first batch.
 */
function checkNdaFits(
  action: string,
  nda: string,
  options: Readonly<Record<string, unknown>>,
  spec: Pick<GanPipelineSpec, 'size' | 'channels'>,
): void {
  const images: ImageBatch = {
    data: new Uint8Array(2 * spec.size * spec.size * spec.channels),
    shape: [2, spec.size, spec.size, spec.channels],
  };
  try {
    createNdaTransform(nda, options).apply(images, { seed: 0, epoch: 0, keys: ['a', 'b'] });
  } catch (error) {
    const given =
      Object.entries(options)
        .map(([k, v]) => `--${nda}-${k} ${Array.isArray(v) ? v.join(',') : String(v)}`)
        .join(', ') || 'its defaults';
    throw rangeError(
      action,
      `--nda ${nda} with ${given} must fit ${spec.size}x${spec.size} images (${error instanceof Error ? error.message : String(error)})`,
      options,
    );
  }
}

/** The run's configuration: from the options, the preset and the defaults, or (resuming) from the run folder's config.json. */
async function resolveConfig(
  spec: GanPipelineSpec,
  options: GanPipelineOptions,
  context: PipelineRunContext,
  action: string,
  log: (line: string) => void,
): Promise<GanRunConfig> {
  // what the run was given: a default filled in by definePipeline must not contradict a resumed run,
  // nor replace a preset's value
  const given = givenOptions(options, context.given);
  const preset = given.preset === 'paper' ? PAPER_PRESET : null;
  const { nda, steps, batchSize, shuffle, epochs } = checkTrainingOptions(
    action,
    { ...given, epochs: given.epochs ?? preset?.epochs },
    {
      nda: DEFAULTS.nda,
      ndaChoices: GAN_PIPELINE_NDA,
      batchSize: preset?.batchSize ?? DEFAULTS.batchSize,
      minBatchSize: 1,
      shuffle: DEFAULTS.shuffle,
    },
  );
  const architecture = given.architecture ?? preset?.architecture ?? options.architecture;
  const transformOptions = ndaTransformOptions(action, nda, given);
  if (given.partners !== undefined && !PARTNER_TRANSFORMS.includes(nda))
    throw rangeError(action, `--partners applies to --nda ${PARTNER_TRANSFORMS.join(', ')} only`, `--nda ${nda}`);
  const partners = given.partners ?? preset?.partners;
  if (partners !== undefined && PARTNER_TRANSFORMS.includes(nda)) transformOptions['partners'] = partners;
  if (nda !== 'none') checkNdaFits(action, nda, transformOptions, spec);
  if (nda === 'none' && given.beta !== undefined && given.beta !== 0)
    throw rangeError(action, '--beta weighs the NDA term, and --nda none trains without negatives', given.beta);

  if (options.resume) {
    const runDir = resumedRunDir(action, given, spec.name, nda);
    const fixed: Record<FixedOnResume, unknown> = {
      seed: given.seed,
      nda: given.nda,
      ndaOptions: Object.keys(transformOptions).length > 0 ? transformOptions : undefined,
      alpha: given.alpha,
      beta: given.beta,
      batchSize: given.batchSize,
      shuffle: given.shuffle,
      epochs: given.epochs,
      shards: given.shards,
      handler: given.handler,
      architecture: given.architecture,
      preset: given.preset,
      ch: given.ch,
      augment: given.augment,
    };
    const saved = (await readResumedConfig(action, spec.name, runDir, fixed)) as unknown as Partial<GanRunConfig> &
      GanRunConfig;
    if (given.conditional !== undefined && given.conditional !== (saved.classes !== null)) {
      throw rangeError(action, `resume keeps the run's conditional ${saved.classes !== null}`, given.conditional);
    }
    const evaluation = saved.evaluation ?? { every: null, from: 0 };
    // runs saved before NDA options, presets and augmentation switches existed used their defaults
    return {
      ...saved,
      preset: saved.preset ?? null,
      presetOverrides: saved.presetOverrides ?? [],
      ndaOptions: saved.ndaOptions ?? {},
      augment: saved.augment ?? true,
      augmentation: saved.augmentation ?? spec.augmentation.on,
      samples: saved.samples ?? null,
      keepCheckpoints: saved.keepCheckpoints ?? DEFAULTS.keepCheckpoints,
      evaluation: given.evalEvery !== undefined ? { ...evaluation, every: given.evalEvery } : evaluation,
      steps: steps ?? saved.steps,
    };
  }

  const seed = runSeed(given, log);
  const shards = options.shards ?? spec.defaultShards();
  const dStepsPerG = DEFAULTS.dStepsPerG;
  // one pass over the labels when the data decides: the classes of a conditional run, a preset's epochs
  const census =
    options.conditional || preset !== null
      ? await shardCensus(action, shards, { handler: options.handler, allowPipe: options.allowPipe })
      : null;
  if (options.conditional && census?.classes == null)
    throw rangeError(
      action,
      '--conditional needs an integer cls label on every training sample',
      `sample ${census?.unlabelled ?? '?'} has none`,
    );
  const classes = options.conditional ? census!.classes! : null;
  if (classes !== null)
    log(`classes: ${classes} (the largest cls label of the ${census!.samples} training samples + 1)`);
  const stepsPerEpoch = census === null ? null : stepsForEpochs(census.samples, batchSize, dStepsPerG, 1);
  const finalSteps =
    steps ?? (preset !== null ? stepsPerEpoch! * (epochs === 'unbounded' ? preset.epochs : epochs) : DEFAULTS.steps);
  if (preset !== null && steps === undefined)
    log(
      `steps: ${finalSteps} (${epochs} epochs of ${stepsPerEpoch} steps, ${census!.samples} samples / (${batchSize} x ${dStepsPerG}))`,
    );
  const presetOverrides =
    preset === null
      ? []
      : PRESET_OPTION_KEYS.filter((key) => given[key] !== undefined).map((key) =>
          presetFlag(key, given[key], spec.augmentation.flag),
        );
  return {
    pipeline: spec.name,
    preset: given.preset ?? null,
    presetOverrides,
    seed,
    nda,
    ndaOptions: transformOptions,
    alpha: options.alpha ?? (nda === 'none' ? 1 : DEFAULTS.alpha),
    beta: options.beta ?? (nda === 'none' ? 0 : DEFAULTS.beta),
    steps: finalSteps,
    batchSize,
    shuffle,
    epochs,
    shards,
    testShards: spec.testShards?.(options) ?? null,
    handler: options.handler,
    augment: given.augment ?? !preset,
    augmentation: (given.augment ?? !preset) ? spec.augmentation.on : spec.augmentation.off,
    samples: census?.samples ?? null,
    architecture,
    classes,
    z: DEFAULTS.z,
    ch: given.ch ?? preset?.ch ?? DEFAULT_CH[architecture],
    size: spec.size,
    channels: spec.channels,
    dStepsPerG,
    optimizer: 'adam(2e-4, 0, 0.999)',
    // BigGAN averages from step 1000 with decay 0.9999 (a 10,000-step horizon); a short run would never
    // average, or average mostly its start, so both scale with the run: a horizon of ~steps/10. The
    // preset keeps the official values whatever the length.
    ema: preset?.ema ?? {
      decay: Math.min(0.9999, Math.max(0.5, 1 - 10 / finalSteps)),
      start: Math.min(1000, Math.floor(finalSteps / 2)),
    },
    checkpointEvery:
      given.checkpointEvery ?? preset?.checkpointEvery ?? Math.max(1, Math.min(500, Math.round(finalSteps / 4))),
    keepCheckpoints: preset?.keepCheckpoints ?? DEFAULTS.keepCheckpoints,
    evaluation: {
      every: given.evalEvery ?? preset?.evalEvery ?? null,
      from: preset !== null && stepsPerEpoch !== null ? preset.evalFromEpoch * stepsPerEpoch : 0,
    },
  };
}

/** The command-line form of an option given on top of a preset (`--ch`, `--arch`, `--no-flip`). */
function presetFlag(key: string, value: unknown, augmentFlag: string): string {
  if (key === 'augment') return value === true ? `--${augmentFlag}` : `--no-${augmentFlag}`;
  if (key === 'architecture') return '--arch';
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
