import { join } from 'node:path';
import { selectBackend, type BackendName } from '../sinks/backend/select-backend.js';
import { checkInteger, rangeError, typeError } from '../sources/errors.js';
import { freshSeed } from '../sources/random.js';
import { embeddedShards } from './internal/embedded-shards.js';
import { ONE_CLASS_NDA, oneClassExperiment } from './internal/one-class-experiment.js';
import type { Pipeline, PipelineResult, PipelineRunOptions } from './pipeline.js';
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
 * Options: `normalClass` (default 0), `nda` (default 'jigsaw'), `steps` (default 200), `seed`,
 * `backend`, `runDir`, `handler`, `shards`, `epochs`, `batchSize` (default 64), `shuffle` (default
 * 1000), `log`. The result's accounting is the training loader's (the test loader's is in
 * `anomaly.json`); its details hold the AUROCs. Deterministic given the seed and backend.
 * @throws RangeError/TypeError for a bad option (before reading anything); PipelineError (with the
 *   accounting so far) when a stream or the training fails.
 */
export const fmnistAnomaly: Pipeline = {
  name: 'fmnist-anomaly',
  description:
    'one-class anomaly detection: NDA-GAN (--nda) trained on Fashion-MNIST class --normal-class (--steps), test split scored by D: one-class AUROC and AUROC per NDA/corruption OOD set -> anomaly.json',
  async run(options: PipelineRunOptions): Promise<PipelineResult> {
    const normalClass = checkInteger(ACTION, 'normalClass', options.normalClass ?? 0, 0, 9);
    const nda = options.nda ?? 'jigsaw';
    if (!(ONE_CLASS_NDA as readonly string[]).includes(nda))
      throw rangeError(ACTION, `nda must be one of ${ONE_CLASS_NDA.join(', ')}`, nda);
    const steps = checkInteger(ACTION, 'steps', options.steps ?? 200, 1);
    if (options.runDir !== undefined && (typeof options.runDir !== 'string' || options.runDir === ''))
      throw typeError(ACTION, 'runDir must be a non-empty string', options.runDir);
    const seed = options.seed === undefined ? freshSeed() : checkInteger(ACTION, 'seed', options.seed, 0, 0xffffffff);
    const trainShards = options.shards ?? embeddedShards('fmnist', 'train');
    const testShards = fmnistTestShards(ACTION, options.shards, options.testShards);
    const log = options.log ?? (() => undefined);
    if (options.seed === undefined) log(`seed: ${seed} (fresh; pass --seed ${seed} to repeat this run)`);
    const runDir = options.runDir ?? join('runs', `fmnist-anomaly-c${normalClass}-${nda}-seed${seed}`);

    const chosen = await selectBackend({ backend: options.backend as BackendName | undefined });
    log(`backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`);
    const tf = await import('@tensorflow/tfjs');

    await writeRunConfig(runDir, {
      pipeline: fmnistAnomaly.name,
      seed,
      normalClass,
      nda,
      steps,
      trainShards,
      testShards,
      batchSize: options.batchSize,
      shuffle: options.shuffle,
      epochs: options.epochs,
      handler: options.handler ?? 'reraise',
      backend: chosen.name,
    });
    const start = performance.now();
    const r = await oneClassExperiment(tf, {
      normalClass,
      seed,
      nda,
      steps,
      trainShards,
      testShards,
      runDir,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.shuffle !== undefined ? { shuffle: options.shuffle } : {}),
      ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
      ...(options.handler !== undefined ? { handler: options.handler } : {}),
      ...(options.allowPipe !== undefined ? { allowPipe: options.allowPipe } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      ...(options.onTrainingStep !== undefined ? { onTrainingStep: options.onTrainingStep } : {}),
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
};

const round = (x: number): number => Math.round(x * 10000) / 10000;
