import { join } from 'node:path';
import { selectBackend } from '../sinks/backend/select-backend.js';
import { rangeError, typeError } from '../sources/errors.js';
import { freshSeed } from '../sources/random.js';
import { commonOptions, readOptions } from './common-options.js';
import { definePipeline } from './define-pipeline.js';
import { embeddedShards } from './internal/embedded-shards.js';
import { ONE_CLASS_NDA, oneClassExperiment } from './internal/one-class-experiment.js';
import { ndaOptions, ndaTransformOptions } from './nda-options.js';
import { choiceOption, intOption, numberOption } from './pipeline-option.js';
import { fmnistTestShards } from './internal/fmnist-test-shards.js';
import { recordRunStatus, writeRunConfig } from '../sinks/report/run-folder.js';
import { writeRunReport } from '../sinks/report/write-run-report.js';
import type { HandlerName } from '../sources/handlers.js';
import { givenOptions } from './internal/given-options.js';
import { readResumedConfig } from './internal/resumed-config.js';
import { checkShardsReadable, claimRunFolder, runStatus } from './internal/training-run.js';

const ACTION = 'run fmnist-anomaly';

/** The resolved configuration of an anomaly run, saved as `config.json` (and read back by `resume`). */
interface AnomalyRunConfig {
  readonly pipeline: string;
  readonly seed: number;
  readonly normalClass: number;
  readonly nda: string;
  readonly ndaOptions: Readonly<Record<string, unknown>>;
  readonly alpha: number;
  readonly beta: number;
  readonly steps: number;
  readonly trainShards: string | readonly string[];
  readonly testShards: string | readonly string[];
  readonly batchSize: number;
  readonly shuffle: number;
  readonly epochs?: number;
  readonly handler: string;
}

/**
 * The one-class anomaly pipeline (`ndaflow run fmnist-anomaly --normal-class 0 --nda jigsaw --steps 30
 * --seed 1`): trains the NDA-GAN of `fmnist-gan` (1-channel 32x32 DCGAN; `nda: 'none'` = the plain
 * hinge GAN, alpha 1, beta 0) on the Fashion-MNIST training samples of class `normalClass` only, then
 * scores the test split with the trained discriminator's logit (higher = more normal) and reports
 * AUROCs (see `oneClassExperiment`): `one-class` (class C against the nine others), one row per OOD
 * set (the normal test images transformed by each NDA transform and each corruption, against
 * themselves) and their `mean`. Writes `anomaly.json` (every row, the per-class AUROCs, both loaders'
 * accounting) with the GAN's `metrics.jsonl` and final checkpoint into `runDir` (default
 * `runs/fmnist-anomaly-c<C>-<nda>-seed<seed>`), and logs a table.
 *
 * Shards: the embedded train and test shards by default. With `shards`, the training shards are those
 * and the test shards are `testShards`, or else every `test-NNNNNN.tar[.gz]` beside them (the layout
 * `ndaflow prepare fashion-mnist` writes; `fmnistTestShards`).
 *
 * Options (`ndaflow run fmnist-anomaly --help`): `normalClass` (default 0), `nda` (default 'jigsaw')
 * and its transform's options (`jigsawK`, ...), `alpha`/`beta` (the D loss weights, as `fmnist-gan`'s),
 * `steps` (default 200), `seed`, `backend`, `runDir`, `handler`, `allowPipe`, `shards`, `testShards`,
 * `epochs`, `batchSize` (default 64), `shuffle` (default 1000), `resume` (continue `runDir`'s latest
 * checkpoint with its `config.json`; `steps` may raise the target), `overwrite` (replace another run in
 * `runDir`; without it that is an error). The result's accounting is the training loader's (the test loader's is in
 * `anomaly.json`); its results hold the AUROCs. Deterministic given the seed and backend.
 * @throws RangeError/TypeError for a bad option (before reading anything); PipelineError (with the
 *   accounting so far) when a stream or the training fails.
 */
export const fmnistAnomaly = definePipeline({
  name: 'fmnist-anomaly',
  options: {
    ...readOptions,
    shards: commonOptions.shards.with({ defaultText: 'the embedded Fashion-MNIST train shards' }),
    testShards: commonOptions.testShards.with({
      defaultText: 'the test-NNNNNN.tar beside --shards, or the embedded ones',
    }),
    normalClass: intOption({ min: 0, max: 9, default: 0, help: 'the class trained on as normal' }),
    nda: choiceOption(ONE_CLASS_NDA, {
      default: 'jigsaw',
      help: "negative data augmentation of the GAN's discriminator (none: the plain hinge GAN)",
    }),
    ...ndaOptions(ONE_CLASS_NDA),
    alpha: numberOption({
      min: 0,
      help: 'NDA-GAN D loss: weight of the fake term',
      defaultText: '0.25; 1 with --nda none',
    }),
    beta: numberOption({
      min: 0,
      help: 'NDA-GAN D loss: weight of the negative term',
      defaultText: '0.75; 0 with --nda none, which takes no other',
    }),
    steps: commonOptions.steps.withDefault(200),
    epochs: commonOptions.epochs.with({ defaultText: 'as many as the steps need' }),
    batchSize: commonOptions.batchSize.withDefault(64),
    shuffle: commonOptions.shuffle.withDefault(1000),
    backend: commonOptions.backend,
    runDir: commonOptions.runDir.with({ defaultText: 'runs/fmnist-anomaly-c<class>-<nda>-seed<seed>' }),
    resume: commonOptions.resume.with({
      help: 'continue the run in --run-dir from its latest checkpoint, with its saved config (--steps may raise the target)',
    }),
    overwrite: commonOptions.overwrite,
  },
  summary:
    'one-class anomaly detection: NDA-GAN (--nda) trained on Fashion-MNIST class --normal-class (--steps), test split scored by D: one-class AUROC and AUROC per NDA/corruption OOD set -> anomaly.json',
  async run(options, context) {
    const log = context.log;
    // what the run was given: a default filled in by definePipeline must not contradict a resumed run
    const given = givenOptions(options, context.given);
    const folderOf = (c: number, n: string, s: number) => join('runs', `fmnist-anomaly-c${c}-${n}-seed${s}`);
    let config: AnomalyRunConfig;
    let runDir: string;
    if (options.resume) {
      // the saved configuration, checked against what is given now (only the step target may change)
      if (options.runDir === undefined && options.seed === undefined)
        throw typeError(
          ACTION,
          'resume needs the run folder (--run-dir), or the seed, class and nda that name the default one',
          'neither',
        );
      runDir = options.runDir ?? folderOf(options.normalClass, options.nda, options.seed as number);
      const saved = (await readResumedConfig(ACTION, 'fmnist-anomaly', runDir, {
        seed: given.seed,
        normalClass: given.normalClass,
        nda: given.nda,
        alpha: given.alpha,
        beta: given.beta,
        trainShards: given.shards,
        batchSize: given.batchSize,
        shuffle: given.shuffle,
        epochs: given.epochs,
        handler: given.handler,
      })) as unknown as AnomalyRunConfig;
      config = { ...saved, steps: given.steps ?? saved.steps };
    } else {
      const { normalClass, nda } = options;
      const ndaTransformValues = ndaTransformOptions(ACTION, nda, options);
      if (nda === 'none' && options.beta !== undefined && options.beta !== 0)
        throw rangeError(ACTION, '--beta weighs the NDA term, and --nda none trains without negatives', options.beta);
      const seed = options.seed ?? freshSeed();
      if (options.seed === undefined) log(`seed: ${seed} (fresh; pass --seed ${seed} to repeat this run)`);
      config = {
        pipeline: 'fmnist-anomaly',
        seed,
        normalClass,
        nda,
        ndaOptions: ndaTransformValues,
        alpha: options.alpha ?? (nda === 'none' ? 1 : 0.25),
        beta: options.beta ?? (nda === 'none' ? 0 : 0.75),
        steps: options.steps,
        trainShards: options.shards ?? embeddedShards('fmnist', 'train'),
        testShards: fmnistTestShards(ACTION, options.shards, options.testShards),
        batchSize: options.batchSize,
        shuffle: options.shuffle,
        ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
        handler: options.handler,
      };
      runDir = options.runDir ?? folderOf(normalClass, nda, seed);
    }
    const { seed, normalClass, nda, steps, trainShards, testShards, alpha, beta } = config;
    const transformOptions = config.ndaOptions;
    // every input is checked before the run folder changes: a failed start leaves it as it was
    await checkShardsReadable(ACTION, 'shards', trainShards);
    await checkShardsReadable(ACTION, 'test', testShards);
    const clearFolder = options.resume ? null : await claimRunFolder(ACTION, runDir, options);

    const chosen = await selectBackend({ backend: options.backend });
    log(`backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`);
    const tf = await import('@tensorflow/tfjs');

    await clearFolder?.();
    await writeRunConfig(runDir, { ...config, backend: chosen.name });
    const start = performance.now();
    const r = await oneClassExperiment(tf, {
      normalClass,
      seed,
      nda,
      ndaOptions: transformOptions,
      alpha,
      beta,
      steps,
      trainShards,
      testShards,
      runDir,
      resume: options.resume,
      batchSize: config.batchSize,
      shuffle: config.shuffle,
      ...(config.epochs !== undefined ? { epochs: config.epochs } : {}),
      handler: config.handler as HandlerName,
      allowPipe: options.allowPipe,
      ...(context.signal !== undefined ? { signal: context.signal } : {}),
      ...(context.onProgress !== undefined ? { onProgress: context.onProgress } : {}),
      ...(context.onTrainingStep !== undefined ? { onTrainingStep: context.onTrainingStep } : {}),
      log,
    });
    const seconds = (performance.now() - start) / 1000;
    const width = Math.max(...r.rows.map((row) => row.set.length));
    log(`AUROC (class ${normalClass} normal, nda ${nda}, ${r.steps} steps; in-distribution = positive):`);
    log(`  ${'set'.padEnd(width)}  auroc   n(ood)  n(in)`);
    for (const row of r.rows)
      log(
        `  ${row.set.padEnd(width)}  ${row.auroc.toFixed(4)}  ${String(row.n).padStart(6)}  ${String(row.nIn).padStart(5)}`,
      );
    log(
      `  per other class: ${Object.entries(r.perClass)
        .map(([c, a]) => `${c}:${a.toFixed(3)}`)
        .join(' ')}`,
    );
    const mean = r.rows.find((row) => row.set === 'mean');
    await recordRunStatus(runDir, runStatus(r.aborted, r.steps));
    const report = await writeRunReport(runDir, {
      title: `${fmnistAnomaly.name} class ${normalClass} ${nda} seed ${seed}`,
    });
    log(`report: ${report}`);
    return {
      accounting: r.accounting.train,
      seed,
      samples: r.samples,
      batches: r.batches,
      seconds,
      aborted: r.aborted,
      results: {
        oneClassAuroc: round(r.rows[0]!.auroc),
        ...(mean !== undefined ? { meanOodAuroc: round(mean.auroc) } : {}),
      },
      details: {
        backend: `${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`,
        normalClass,
        nda,
        steps: r.steps,
        testSamples: r.accounting.test.yielded,
        runDir,
        report,
        ...(r.aborted ? { status: runStatus(true, r.steps) } : {}),
      },
    };
  },
});

const round = (x: number): number => Math.round(x * 10000) / 10000;
