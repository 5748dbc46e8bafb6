import { Command } from 'commander';
import { PipelineError } from '../../pipelines/pipeline-error.js';
import type { PipelineResult } from '../../pipelines/pipeline.js';
import { addReadOptions, integerArg, progressEnabled, type ReadOptions } from '../options.js';
import { startProgress } from '../progress.js';

interface RunFlags extends ReadOptions {
  shards?: string;
  testShards?: string;
  epochs?: number;
  batchSize?: number;
  shuffle?: number;
  nda?: string;
  ndaPerQuery?: number;
  steps?: number;
  normalClass?: number;
  backend?: string;
  runDir?: string;
  resume: boolean;
  arch?: string;
  conditional?: boolean;
  eval: boolean;
  json: boolean;
}

const perSecond = (n: number, seconds: number): number => Math.round((n / Math.max(seconds, 1e-9)) * 10) / 10;

/**
 * `ndaflow run [NAME]`: runs a registered pipeline (`default` without a name) and prints the
 * loader's accounting and the throughput (samples/s, batches/s); `--json` prints one JSON object.
 * Ctrl-C stops the run cleanly and still prints the accounting (a second Ctrl-C kills). Exit code
 * 1 when the run failed or samples were lost.
 */
export function runCommand(): Command {
  return addReadOptions(
    new Command('run')
      .description('run a registered pipeline (see `ndaflow list`) and print its accounting and throughput')
      .argument('[name]', 'pipeline name', 'default')
      .option('--shards <spec>', "shards to read instead of the pipeline's own")
      .option(
        '--test-shards <spec>',
        'test shards, for pipelines that evaluate (default: the test-NNNNNN.tar beside --shards, or the embedded ones)',
      )
      .option('--epochs <n>', 'epochs', integerArg(1))
      .option('--batch-size <n>', 'batch size', integerArg(1))
      .option('--shuffle <n>', 'sample shuffle buffer (0: tar order)', integerArg(0))
      .option(
        '--nda <name>',
        'negative data augmentation, for pipelines that train with it (fmnist-gan: none|jigsaw|stitch|mixup|cutout|cutmix; fmnist-moco: none|jigsaw|stitch|mixup|cutout|cutmix|shift|noise; *-video-moco: none|shuffle|reverse|splice|static or a spatial one)',
      )
      .option(
        '--nda-per-query <m>',
        'NDA views per query, extra negatives in its denominator, for the MoCo pipelines (default 1)',
        integerArg(1),
      )
      .option('--steps <n>', 'training steps, for pipelines that train', integerArg(1))
      .option(
        '--normal-class <c>',
        'class trained on as normal, for one-class anomaly pipelines (fmnist-anomaly: 0..9, default 0)',
        integerArg(0),
      )
      .option(
        '--backend <name>',
        'TF.js backend, for pipelines that train (tensorflow-gpu|tensorflow|wasm|cpu; default: the first that loads)',
      )
      .option(
        '--run-dir <dir>',
        "run folder (metrics, checkpoints), for pipelines that write one (default: the pipeline's, under runs/)",
      )
      .option('--arch <name>', 'network pair, for the GAN pipelines: dcgan|sn-resnet (default: dcgan)')
      .option('--conditional', 'class-conditional networks on the cls labels, for the GAN pipelines')
      .option(
        '--no-eval',
        'skip the evaluation on the test split at the end (fmnist-gan: FID/KID; MoCo pipelines: the linear probe)',
      )
      .option(
        '--resume',
        'continue the run in --run-dir from its latest checkpoint, with its saved config (--steps may raise the target)',
        false,
      )
      .option(
        '--json',
        'print one JSON object: {pipeline, seed, accounting, samples, batches, seconds, samplesPerSecond, batchesPerSecond}',
        false,
      ),
  ).action(async (name: string, flags: RunFlags, command: Command) => {
    // loaded here, not at start-up: pipelines pull in sharp, which `prepare` and `inspect` don't need
    const { findPipeline } = await import('../../pipelines/registry.js');
    const pipeline = findPipeline(name);
    const controller = new AbortController();
    const onSigint = () => {
      process.stderr.write('ndaflow: stopping (Ctrl-C again to kill)\n');
      controller.abort();
    };
    process.once('SIGINT', onSigint);
    let progress = startProgress({ label: `run ${name}`, enabled: progressEnabled(command) });
    let training = false;
    // A pipeline that trains reports steps: the sample count gives way to a step bar with losses and ETA.
    const onTrainingStep = (step: number, steps: number, detail: string) => {
      if (!training) {
        training = true;
        progress.stop();
        progress = startProgress({
          label: `train ${name}`,
          total: steps,
          unit: 'steps',
          printFirst: true,
          enabled: progressEnabled(command),
        });
      }
      progress.update(step, detail);
    };
    let result: PipelineResult;
    try {
      result = await pipeline.run({
        seed: flags.seed,
        handler: flags.handler,
        allowPipe: flags.allowPipe,
        shards: flags.shards,
        testShards: flags.testShards,
        epochs: flags.epochs,
        batchSize: flags.batchSize,
        shuffle: flags.shuffle,
        nda: flags.nda,
        ndaPerQuery: flags.ndaPerQuery,
        steps: flags.steps,
        normalClass: flags.normalClass,
        backend: flags.backend,
        runDir: flags.runDir,
        resume: flags.resume,
        architecture: flags.arch,
        conditional: flags.conditional,
        evaluate: flags.eval,
        onTrainingStep,
        log: (line) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`),
        signal: controller.signal,
        onProgress: (samples) => {
          if (!training) progress.update(samples);
        },
      });
    } catch (err) {
      progress.stop();
      if (err instanceof PipelineError) process.stderr.write(`ndaflow: accounting ${JSON.stringify(err.accounting)}\n`);
      throw err;
    } finally {
      progress.stop();
      process.off('SIGINT', onSigint);
    }
    const report = {
      pipeline: pipeline.name,
      seed: result.seed,
      accounting: result.accounting,
      samples: result.samples,
      batches: result.batches,
      seconds: Math.round(result.seconds * 1000) / 1000,
      samplesPerSecond: perSecond(result.samples, result.seconds),
      batchesPerSecond: perSecond(result.batches, result.seconds),
      aborted: result.aborted,
      ...(result.details !== undefined ? { details: result.details } : {}),
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      process.stdout.write(
        `pipeline: ${report.pipeline} (seed ${report.seed})${report.aborted ? ' (stopped early)' : ''}\n` +
          `accounting: ${JSON.stringify(report.accounting)}\n` +
          `throughput: ${report.samples} samples, ${report.batches} batches in ${report.seconds} s: ${report.samplesPerSecond} samples/s, ${report.batchesPerSecond} batches/s\n` +
          Object.entries(result.details ?? {})
            .map(([key, value]) => `${key}: ${value}\n`)
            .join(''),
      );
    }
    if (result.accounting.lost !== 0) {
      process.stderr.write(
        `ndaflow: error: ${result.accounting.lost} sample(s) were lost (neither delivered nor skipped)\n`,
      );
      process.exitCode = 1;
    }
  });
}
