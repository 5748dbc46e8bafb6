import { join } from 'node:path';
import { selectBackend } from '../sinks/backend/select-backend.js';
import { rangeError } from '../sources/errors.js';
import { freshSeed } from '../sources/random.js';
import { commonOptions, readOptions } from './common-options.js';
import { definePipeline } from './define-pipeline.js';
import { embeddedShards } from './internal/embedded-shards.js';
import { ONE_CLASS_NDA, oneClassExperiment } from './internal/one-class-experiment.js';
import { ndaOptions, ndaTransformOptions } from './nda-options.js';
import { choiceOption, intOption, numberOption } from './pipeline-option.js';
import { fmnistTestShards } from './internal/fmnist-test-shards.js';
import { writeRunConfig } from '../sinks/report/run-folder.js';
import { writeRunReport } from '../sinks/report/write-run-report.js';

const ACTION = 'run fmnist-anomaly';

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
 * `epochs`, `batchSize` (default 64), `shuffle` (default 1000). The result's accounting is the training loader's (the test loader's is in
 * `anomaly.json`); its details hold the AUROCs. Deterministic given the seed and backend.
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
  },
  summary:
    'one-class anomaly detection: NDA-GAN (--nda) trained on Fashion-MNIST class --normal-class (--steps), test split scored by D: one-class AUROC and AUROC per NDA/corruption OOD set -> anomaly.json',
  async run(options, context) {
    const { normalClass, nda, steps } = options;
    const transformOptions = ndaTransformOptions(ACTION, nda, options);
    if (nda === 'none' && options.beta !== undefined && options.beta !== 0)
      throw rangeError(ACTION, '--beta weighs the NDA term, and --nda none trains without negatives', options.beta);
    const alpha = options.alpha ?? (nda === 'none' ? 1 : 0.25);
    const beta = options.beta ?? (nda === 'none' ? 0 : 0.75);
    const seed = options.seed ?? freshSeed();
    const trainShards = options.shards ?? embeddedShards('fmnist', 'train');
    const testShards = fmnistTestShards(ACTION, options.shards, options.testShards);
    const log = context.log;
    if (options.seed === undefined) log(`seed: ${seed} (fresh; pass --seed ${seed} to repeat this run)`);
    const runDir = options.runDir ?? join('runs', `fmnist-anomaly-c${normalClass}-${nda}-seed${seed}`);

    const chosen = await selectBackend({ backend: options.backend });
    log(`backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`);
    const tf = await import('@tensorflow/tfjs');

    await writeRunConfig(runDir, {
      pipeline: fmnistAnomaly.name,
      seed,
      normalClass,
      nda,
      ndaOptions: transformOptions,
      alpha,
      beta,
      steps,
      trainShards,
      testShards,
      batchSize: options.batchSize,
      shuffle: options.shuffle,
      epochs: options.epochs,
      handler: options.handler,
      backend: chosen.name,
    });
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
      batchSize: options.batchSize,
      shuffle: options.shuffle,
      ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
      handler: options.handler,
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
      details: {
        backend: `${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`,
        normalClass,
        nda,
        steps: r.steps,
        oneClassAuroc: round(r.rows[0]!.auroc),
        ...(mean !== undefined ? { meanOodAuroc: round(mean.auroc) } : {}),
        testSamples: r.accounting.test.yielded,
        runDir,
        report,
      },
    };
  },
});

const round = (x: number): number => Math.round(x * 10000) / 10000;
