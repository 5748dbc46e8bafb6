import type { Batch } from '../../sources/sample.js';
import type * as TFJS from '@tensorflow/tfjs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batch } from '../../operators/batch.js';
import { loadMocoCheckpoint, saveMocoCheckpoint } from '../../sinks/contrastive/moco-checkpoint.js';
import { createMocoModels, type MocoModels } from '../../sinks/contrastive/moco-models.js';
import { trainMoco, type ContrastiveBatch } from '../../sinks/contrastive/moco-trainer.js';
import { pruneCheckpoints } from '../../sinks/checkpoint/prune-checkpoints.js';
import { RUN_FILES, trimRunFolder, writeRunConfig } from '../../sinks/report/run-folder.js';
import { fromShards } from '../../sources/from-shards.js';
import type { HandlerName } from '../../sources/handlers.js';
import { createLoader, type LoaderStage } from '../../sources/loader.js';
import type { LoaderState } from '../../sources/loader-state.js';
import { deriveSeed } from '../../sources/random.js';
import { PipelineError } from '../pipeline-error.js';
import { commonOptions, readOptions } from '../common-options.js';
import type { PipelineRunContext } from '../define-pipeline.js';
import { ndaOptions, ndaTransformOptions } from '../nda-options.js';
import { choiceOption, intOption } from '../pipeline-option.js';
import type { PipelineOptionValues, PipelineResult } from '../pipeline.js';
import { givenOptions } from './given-options.js';
import { asStackedBatch } from './as-stacked-batch.js';
import { interleavedNdaViews, type NdaViewMaker } from './nda-views.js';
import { probeEncoder, type ProbeSpec } from './probe-encoder.js';
import { readResumedConfig } from './resumed-config.js';
import {
  checkShardsReadable,
  checkTrainingOptions,
  claimRunFolder,
  defaultRunDir,
  resumedRunDir,
  runSeed,
  stepReporter,
  trainingBackend,
  finishTrainingRun,
} from './training-run.js';

/** What differs between the MoCo pipelines (`fmnist-moco`, `moving-fmnist-video-moco`, ...). */
export interface MocoPipelineSpec {
  /** The pipeline's name, also the prefix of its default run folder. */
  readonly name: string;
  /** The `nda` values it takes; `none` trains plain MoCo-v2. */
  readonly ndaChoices: readonly string[];
  /** The `nda` value when the run gives none. */
  readonly defaultNda: string;
  /** The training shards when the run names none. */
  readonly defaultShards: () => string | readonly string[];
  /** The shards the linear probe is evaluated on. */
  readonly testShards: (options: MocoShardOptions) => string | readonly string[];
  /** Stages from a raw sample to one with two augmented views `view0` (query) and `view1` (key): images or clips. */
  readonly views: (seed: number, handler: HandlerName | undefined) => LoaderStage[];
  /** Stages from a raw sample to one with a single un-augmented `view`, for the linear probe. */
  readonly probeView: (handler: HandlerName | undefined) => LoaderStage[];
  /** The labels probed (class, motion direction, ...). */
  readonly probes: readonly ProbeSpec[];
  /** Builds the NDA view maker for an `nda` name (not `none`) and its transform options (`{k: 4}`). */
  readonly nda: (name: string, options: Readonly<Record<string, unknown>>) => NdaViewMaker;
  /** Shape of one view without the batch axis ([h, w, c] or [t, h, w, c]), as `views` makes them. */
  readonly inputShape: readonly number[];
  /** Builds the encoder for `inputShape`. */
  readonly encoder: (tf: typeof TFJS, inputShape: readonly number[], width: number, seed: number) => TFJS.LayersModel;
  /** The pipeline's defaults. */
  readonly defaults: MocoDefaults;
}

/** Defaults of a MoCo pipeline. */
export interface MocoDefaults {
  readonly steps: number;
  readonly batchSize: number;
  readonly shuffle: number;
  readonly queueSize: number;
  readonly width: number;
  /** NDA views per query (extra negatives in its denominator). */
  readonly ndaPerQuery: number;
  /** Training samples the probe's classifier is fitted on (the first ones of the training shards). */
  readonly probeTrain: number;
  /** Test samples the probe is scored on (the first ones of the test shards); 0: all. */
  readonly probeTest: number;
}

/** The resolved configuration of a MoCo run, saved as `config.json`. */
export interface MocoRunConfig {
  readonly pipeline: string;
  readonly seed: number;
  readonly nda: string;
  /** The NDA transform's options (`{k: 4}` from `--jigsaw-k 4`); {} for its defaults. */
  readonly ndaOptions: Readonly<Record<string, unknown>>;
  readonly ndaPerQuery: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly shuffle: number;
  readonly epochs: number | 'unbounded';
  readonly shards: string | readonly string[];
  readonly testShards: string | readonly string[];
  readonly handler: string;
  readonly width: number;
  readonly queueSize: number;
  readonly momentum: number;
  readonly temperature: number;
  readonly optimizer: string;
  readonly learningRate: number;
  readonly checkpointEvery: number;
  readonly probeTrain: number;
  readonly probeTest: number;
}

type FixedOnResume =
  'seed' | 'nda' | 'ndaOptions' | 'ndaPerQuery' | 'batchSize' | 'shuffle' | 'epochs' | 'shards' | 'handler';

/** The shards a MoCo run names (for the spec's `testShards`). */
export interface MocoShardOptions {
  readonly shards?: string | undefined;
  readonly testShards?: string | undefined;
}

/**
 * The options of a MoCo pipeline, declared once from its spec: the common read and training options,
 * `--nda` (the spec's choices) with every option of those transforms, `--nda-per-query`, the run
 * folder, `--resume`, `--overwrite` and `--no-eval`. `shards` and `testShards` describe the pipeline's defaults in `--help`.
 */
export function mocoPipelineOptions(
  spec: Pick<MocoPipelineSpec, 'ndaChoices' | 'defaultNda' | 'defaults'>,
  describe: { readonly shards: string; readonly testShards: string },
) {
  return {
    ...readOptions,
    shards: commonOptions.shards.with({ defaultText: describe.shards }),
    testShards: commonOptions.testShards.with({ defaultText: describe.testShards }),
    epochs: commonOptions.epochs.with({ defaultText: 'as many as the steps need' }),
    batchSize: intOption({ min: 2, default: spec.defaults.batchSize, help: 'samples per batch (queries)' }),
    shuffle: commonOptions.shuffle.withDefault(spec.defaults.shuffle),
    steps: commonOptions.steps.withDefault(spec.defaults.steps, `${spec.defaults.steps}; resuming: the saved target`),
    nda: choiceOption(spec.ndaChoices, {
      default: spec.defaultNda,
      help: "negative data augmentation: each query's NDA views join its InfoNCE denominator (none: plain MoCo-v2)",
    }),
    ...ndaOptions(spec.ndaChoices),
    ndaPerQuery: intOption({
      min: 1,
      max: 64,
      default: spec.defaults.ndaPerQuery,
      help: 'NDA views per query, extra negatives in its denominator',
    }),
    backend: commonOptions.backend,
    runDir: commonOptions.runDir.with({ defaultText: 'runs/<name>-<nda>-seed<seed>' }),
    resume: commonOptions.resume.with({
      help: 'continue the run in --run-dir from its latest checkpoint, with its saved config (--steps may raise the target)',
    }),
    overwrite: commonOptions.overwrite,
    evaluate: commonOptions.evaluate.with({ help: "linear probe of the encoder's features at the end" }),
  };
}

/** The checked options of a MoCo pipeline run. */
export type MocoPipelineOptions = PipelineOptionValues<ReturnType<typeof mocoPipelineOptions>>;
const KEEP_CHECKPOINTS = 2;

/**
 * Runs a MoCo-v2 (+ NDA) pipeline: shards -> shuffle -> `spec.views` (two augmented views per sample)
 * -> batch (full batches) -> NDA views of each query (`ndaPerQuery` per query, by `spec.nda`, seeded
 * per (seed, view j, step, keys); none with `nda: 'none'`) -> `trainMoco` (query and momentum key
 * encoders with projection heads, a queue of keys, InfoNCE where query i's NDA keys join only its own
 * denominator) on the backend `selectBackend` picks. Then the frozen query encoder is probed: features
 * of `probeTrain` training samples and the test samples, a linear classifier per `spec.probes` label,
 * top-1 accuracy on the test samples, appended to `eval.jsonl`.
 * The run folder (default `runs/<name>-<nda>-seed<seed>`) gets `config.json`, `metrics.jsonl`,
 * checkpoints (every quarter of the run, the newest two kept), `eval.jsonl` and `report.html`.
 * `resume` continues the latest checkpoint with the saved configuration (same samples, same views).
 *
 * @throws RangeError/TypeError for a bad option or one that contradicts the resumed run (before
 *   anything is read); Error when there is nothing to resume; PipelineError (with the accounting so
 *   far) when the stream or the training fails.
 */
export async function runMocoPipeline(
  spec: MocoPipelineSpec,
  options: MocoPipelineOptions,
  context: PipelineRunContext,
): Promise<PipelineResult> {
  const action = `run ${spec.name}`;
  const log = context.log;
  const config = await resolveConfig(spec, options, context, action, log);
  const runDir = options.runDir ?? defaultRunDir(spec.name, config.nda, config.seed);
  const makeNda = config.nda === 'none' ? null : spec.nda(config.nda, config.ndaOptions);
  // every input is checked before the run folder changes: a failed start leaves it as it was
  await checkShardsReadable(action, 'shards', config.shards);
  if (options.evaluate !== false) await checkShardsReadable(action, 'test', config.testShards);
  const clearFolder = options.resume === true ? null : await claimRunFolder(action, runDir, options);
  const { tf, description: backend, name: backendName } = await trainingBackend(options, log);

  let startStep = 0;
  let resumeFrom: LoaderState | undefined;
  let models: MocoModels | undefined;
  const source = fromShards(config.shards, {
    seed: config.seed,
    shuffle: config.shuffle,
    epochs: config.epochs === 'unbounded' ? Infinity : config.epochs,
    handler: options.handler,
    allowPipe: options.allowPipe,
  });
  try {
    models = createMocoModels(tf, {
      encoder: () => spec.encoder(tf, spec.inputShape, config.width, deriveSeed(config.seed, 'encoder')),
      queueSize: config.queueSize,
      seed: deriveSeed(config.seed, 'moco'),
      optimizer: config.optimizer as 'adam' | 'sgd',
      learningRate: config.learningRate,
    });
    if (options.resume) {
      const loaded = await loadMocoCheckpoint(tf, runDir, { models });
      if (loaded === null) throw new Error(`Cannot ${action} --resume as ${runDir} holds no checkpoint`);
      startStep = loaded.step;
      resumeFrom = (loaded.loaderState ?? undefined) as LoaderState | undefined;
      await trimRunFolder(runDir, startStep);
      log(`resuming ${runDir} at step ${startStep} of ${config.steps}`);
    } else await clearFolder?.();
    await writeRunConfig(runDir, { ...config, backend: backendName });
    const iteration = createLoader<Batch>(source, [
      ...spec.views(config.seed, options.handler),
      batch(config.batchSize, { partial: false }),
    ]).iterate(resumeFrom !== undefined ? { resumeFrom } : {});
    let batches = 0;
    async function* contrastiveBatches(): AsyncGenerator<ContrastiveBatch> {
      for await (const item of iteration) {
        batches++;
        context.onProgress?.(batches * config.batchSize, batches);
        const query = asStackedBatch(item.view0, 'view0', spec.name);
        const key = asStackedBatch(item.view1, 'view1', spec.name);
        const step = startStep + batches;
        const nda =
          makeNda === null
            ? undefined
            : interleavedNdaViews(makeNda, query, {
                seed: deriveSeed(config.seed, 'nda'),
                step,
                keys: item.__key__,
                perQuery: config.ndaPerQuery,
              });
        yield nda === undefined ? { query, key } : { query, key, nda };
        if (context.signal?.aborted) return;
      }
    }

    const report = stepReporter(context, log, config.steps, startStep);
    const start = performance.now();
    let trained: Awaited<ReturnType<typeof trainMoco>>;
    try {
      trained = await trainMoco(tf, contrastiveBatches(), {
        models,
        momentum: config.momentum,
        temperature: config.temperature,
        steps: config.steps,
        startStep,
        seed: deriveSeed(config.seed, 'train'),
        runDir,
        checkpointEvery: config.checkpointEvery,
        loaderState: () => iteration.state(),
        onStep: (r) =>
          report(r.step, r.msPerStep, `loss ${r.loss.toFixed(4)} top1 ${(r.positiveTop1 * 100).toFixed(0)}%`),
      });
      if (trained.steps > startStep && trained.steps % config.checkpointEvery !== 0 && trained.steps !== config.steps) {
        // stopped early (Ctrl-C, or the data ran out): keep what was trained
        await saveMocoCheckpoint(tf, runDir, { models, step: trained.steps, loaderState: iteration.state() });
      }
      await pruneCheckpoints(runDir, KEEP_CHECKPOINTS);
    } catch (err) {
      throw new PipelineError(spec.name, iteration.accounting(), err);
    }
    const seconds = (performance.now() - start) / 1000;

    const probeResults: Record<string, number> = {};
    if (options.evaluate && context.signal?.aborted !== true && trained.steps > 0) {
      const probed = await probeEncoder(tf, models.queryEncoder, {
        trainShards: config.shards,
        testShards: config.testShards,
        stages: spec.probeView(options.handler),
        probes: spec.probes,
        trainSamples: config.probeTrain,
        testSamples: config.probeTest,
        seed: deriveSeed(config.seed, 'probe'),
        handler: options.handler,
        allowPipe: options.allowPipe,
      });
      for (const row of probed) {
        await appendFile(
          join(runDir, RUN_FILES.evaluations),
          `${JSON.stringify({ step: trained.steps, encoder: 'query', ...row })}\n`,
        );
        log(
          `linear probe (${row.label}): top-1 ${(row.top1 * 100).toFixed(1)}% on ${row.testSamples} test samples (train ${(row.trainTop1 * 100).toFixed(1)}% on ${row.trainSamples})`,
        );
        probeResults[`probe_${row.label}_top1`] = Math.round(row.top1 * 10_000) / 10_000;
      }
    }
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
        accounting: iteration.accounting(),
        aborted: context.signal?.aborted === true,
        details: trained.lastLoss !== null ? { loss: trained.lastLoss } : {},
        results: probeResults,
      },
      log,
    );
  } finally {
    models?.dispose();
  }
}

/** The run's configuration: from the options and the spec's defaults, or (resuming) from config.json. */
async function resolveConfig(
  spec: MocoPipelineSpec,
  options: MocoPipelineOptions,
  context: PipelineRunContext,
  action: string,
  log: (line: string) => void,
): Promise<MocoRunConfig> {
  // what the run was given: a default filled in by definePipeline must not contradict a resumed run
  const given = givenOptions(options, context.given);
  const { nda, steps, batchSize, shuffle, epochs } = checkTrainingOptions(action, given, {
    nda: spec.defaultNda,
    ndaChoices: spec.ndaChoices,
    batchSize: spec.defaults.batchSize,
    minBatchSize: 2,
    shuffle: spec.defaults.shuffle,
  });
  const transformOptions = ndaTransformOptions(action, nda, given);

  if (options.resume) {
    const runDir = resumedRunDir(action, given, spec.name, nda);
    const fixed: Record<FixedOnResume, unknown> = {
      seed: given.seed,
      nda: given.nda,
      ndaOptions: Object.keys(transformOptions).length > 0 ? transformOptions : undefined,
      ndaPerQuery: given.ndaPerQuery,
      batchSize: given.batchSize,
      shuffle: given.shuffle,
      epochs: given.epochs,
      shards: given.shards,
      handler: given.handler,
    };
    const saved = (await readResumedConfig(action, spec.name, runDir, fixed)) as unknown as MocoRunConfig;
    // runs saved before NDA options existed used each transform's defaults
    return { ...saved, ndaOptions: saved.ndaOptions ?? {}, steps: steps ?? saved.steps };
  }

  const seed = runSeed(given, log);
  const finalSteps = steps ?? spec.defaults.steps;
  return {
    pipeline: spec.name,
    seed,
    nda,
    ndaOptions: transformOptions,
    ndaPerQuery: nda === 'none' ? 0 : options.ndaPerQuery,
    steps: finalSteps,
    batchSize,
    shuffle,
    epochs,
    shards: options.shards ?? spec.defaultShards(),
    testShards: spec.testShards(options),
    handler: options.handler,
    width: spec.defaults.width,
    queueSize: spec.defaults.queueSize,
    momentum: 0.99,
    temperature: 0.2,
    // MoCo-v2's SGD (0.03, momentum 0.9) needs hundreds of epochs; short CPU runs learn far more with Adam.
    optimizer: 'adam',
    learningRate: 1e-3,
    checkpointEvery: Math.max(1, Math.min(500, Math.round(finalSteps / 4))),
    probeTrain: spec.defaults.probeTrain,
    probeTest: spec.defaults.probeTest,
  };
}
