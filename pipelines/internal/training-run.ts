import type * as TFJS from '@tensorflow/tfjs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend, type BackendName } from '../../sinks/backend/select-backend.js';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import { freshSeed } from '../../sources/random.js';
import { writeRunReport } from '../../sinks/report/write-run-report.js';
import { clearRunFolder, describeRunFolder, freshRunFolder, recordRunStatus } from '../../sinks/report/run-folder.js';
import { expandShardSpec } from '../../sources/shard-spec.js';
import type { Accounting } from '../../sources/ledger.js';
import type { PipelineResult } from '../pipeline.js';

/** The options of a training run these pieces read: only those the caller gave (undefined: not given). */
export interface TrainingRunOptions {
  readonly seed?: number | undefined;
  readonly runDir?: string | undefined;
  readonly nda?: string | undefined;
  readonly steps?: number | undefined;
  readonly batchSize?: number | undefined;
  readonly shuffle?: number | undefined;
  readonly epochs?: number | undefined;
  readonly backend?: string | undefined;
}

/**
 * The pieces every training pipeline (`runGanPipeline`, `runMocoPipeline`) shares: the checks of the
 * common options, the default run folder, the seed, the backend, the step log and the result's details.
 */

/** The common options of a training run, checked. */
export interface TrainingOptions {
  readonly nda: string;
  /** undefined: the pipeline's default (or, resuming, the saved target). */
  readonly steps: number | undefined;
  readonly batchSize: number;
  readonly shuffle: number;
  readonly epochs: number | 'unbounded';
}

/** What {@link checkTrainingOptions} needs to know about the pipeline. */
export interface TrainingDefaults {
  readonly nda: string;
  readonly ndaChoices: readonly string[];
  readonly batchSize: number;
  /** Smallest batch the pipeline trains on. */
  readonly minBatchSize: number;
  readonly shuffle: number;
}

/**
 * Checks `runDir`, `nda`, `steps`, `batchSize`, `shuffle`, `epochs` and `seed`, before anything is read.
 * @throws RangeError/TypeError naming the option (for `action`).
 */
export function checkTrainingOptions(
  action: string,
  options: TrainingRunOptions,
  defaults: TrainingDefaults,
): TrainingOptions {
  if (options.runDir !== undefined && (typeof options.runDir !== 'string' || options.runDir === ''))
    throw typeError(action, 'runDir must be a non-empty string', options.runDir);
  const nda = options.nda ?? defaults.nda;
  if (!defaults.ndaChoices.includes(nda))
    throw rangeError(action, `nda must be one of ${defaults.ndaChoices.join(', ')}`, nda);
  const steps = options.steps === undefined ? undefined : checkInteger(action, 'steps', options.steps, 1);
  const batchSize = checkInteger(action, 'batchSize', options.batchSize ?? defaults.batchSize, defaults.minBatchSize);
  const shuffle = checkInteger(action, 'shuffle', options.shuffle ?? defaults.shuffle, 0);
  const epochs = options.epochs === undefined ? 'unbounded' : checkInteger(action, 'epochs', options.epochs, 1);
  if (options.seed !== undefined) checkInteger(action, 'seed', options.seed, 0, 0xffffffff);
  return { nda, steps, batchSize, shuffle, epochs };
}

/** The run folder a run writes to when `runDir` is not given: `runs/<pipeline>-<nda>-seed<seed>`. */
export function defaultRunDir(pipeline: string, nda: string, seed: number): string {
  return join('runs', `${pipeline}-${nda}-seed${seed}`);
}

/**
 * The folder a `resume` continues: `runDir`, or the default one named by the seed and nda.
 * @throws TypeError when neither `runDir` nor `seed` is given.
 */
export function resumedRunDir(action: string, options: TrainingRunOptions, pipeline: string, nda: string): string {
  if (options.runDir !== undefined) return options.runDir;
  if (options.seed === undefined)
    throw typeError(
      action,
      'resume needs the run folder (--run-dir), or the seed and nda that name the default one',
      'neither',
    );
  return defaultRunDir(pipeline, nda, options.seed);
}

/**
 * Checks, before anything is written, that the local shards of `spec` exist and can be read (`http(s)://`
 * and `pipe:` shards are left to the loader). `what` names the option (`shards`, `testShards`).
 * @throws Error naming the first missing shard and how many others are missing.
 */
export async function checkShardsReadable(
  action: string,
  what: string,
  spec: string | readonly string[] | null,
): Promise<void> {
  if (spec === null) return;
  const missing: string[] = [];
  for (const url of expandShardSpec(spec)) {
    if (/^(https?|pipe):/.test(url)) continue;
    const path = url.startsWith('file:') ? url.slice('file:'.length).replace(/^\/\/(?=\/)/, '') : url;
    try {
      await access(path);
    } catch {
      missing.push(path);
    }
  }
  if (missing.length > 0)
    throw new Error(
      `Cannot ${action} as the ${what} shard ${missing[0]} does not exist or cannot be read${missing.length > 1 ? ` (nor ${missing.length - 1} other(s))` : ''}: nothing was written`,
    );
}

/**
 * Refuses to start a new run in a folder that holds another one (see `describeRunFolder`), naming it
 * and the ways out: `--resume` (continue it), `--overwrite` (replace it) or a fresh numbered folder.
 * With `overwrite` it returns a function that empties the folder's run files: call it once every
 * input has been checked (so a failed start changes nothing). Not for resumed runs.
 * @throws Error naming the folder and what it holds, without `overwrite`.
 */
export async function claimRunFolder(
  action: string,
  runDir: string,
  options: { readonly overwrite?: boolean | undefined },
): Promise<() => Promise<void>> {
  const held = await describeRunFolder(runDir);
  if (held === null) return () => Promise.resolve();
  if (options.overwrite !== true)
    throw new Error(
      `Cannot ${action} as the run folder ${runDir} holds another run (${held}): pass --resume to continue it, --overwrite to replace it, or --run-dir ${await freshRunFolder(runDir)} for a fresh folder`,
    );
  return () => clearRunFolder(runDir);
}

/** The run's seed: the one given, or a fresh one that is logged so the run can be repeated. */
export function runSeed(options: TrainingRunOptions, log: (line: string) => void): number {
  if (options.seed !== undefined) return options.seed;
  const seed = freshSeed();
  log(`seed: ${seed} (fresh; pass --seed ${seed} to repeat this run)`);
  return seed;
}

/** Picks the TF.js backend (`options.backend`, else the best that loads), logs it and loads TF.js. */
export async function trainingBackend(
  options: TrainingRunOptions,
  log: (line: string) => void,
): Promise<{ readonly tf: typeof TFJS; readonly description: string; readonly name: string }> {
  const chosen = await selectBackend({ backend: options.backend as BackendName | undefined });
  const description = `${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`;
  log(`backend: ${description}`);
  const tf = await import('@tensorflow/tfjs');
  return { tf, description, name: chosen.name };
}

/**
 * The per-step report of a training run: to `onTrainingStep` when given (the CLI's progress bar),
 * else a log line at the first step, every tenth of the run and the last, with ms per step and steps/s.
 */
export function stepReporter(
  options: { readonly onTrainingStep?: ((step: number, steps: number, detail: string) => void) | undefined },
  log: (line: string) => void,
  steps: number,
  startStep: number,
): (step: number, msPerStep: number, detail: string) => void {
  const every = Math.max(1, Math.round(steps / 10));
  const start = performance.now();
  return (step, msPerStep, detail) => {
    if (options.onTrainingStep !== undefined) options.onTrainingStep(step, steps, detail);
    else if (step % every === 0 || step === startStep + 1 || step === steps) {
      const sps = (step - startStep) / ((performance.now() - start) / 1000);
      log(`step ${step}/${steps}: ${detail} (${msPerStep.toFixed(0)} ms, ${sps.toFixed(2)} steps/s)`);
    }
  };
}

/** How a training run ended, as `config.json`'s `status` and the report say it. */
export function runStatus(aborted: boolean, steps: number): string {
  return aborted ? `stopped early at step ${steps}` : `completed at step ${steps}`;
}

/** What {@link finishTrainingRun} reports on. */
export interface FinishedTraining {
  readonly pipeline: string;
  readonly runDir: string;
  readonly nda: string;
  readonly seed: number;
  /** The backend's description (`trainingBackend`). */
  readonly backend: string;
  /** Steps done (counting `startStep`), and the step the run started at. */
  readonly steps: number;
  readonly startStep: number;
  readonly seconds: number;
  readonly batches: number;
  readonly batchSize: number;
  readonly accounting: Accounting;
  readonly aborted: boolean;
  /** Pipeline-specific details (losses). */
  readonly details: Readonly<Record<string, string | number>>;
  /** The headline results (FID/KID, probe accuracies; see `PipelineResult.results`). @default none */
  readonly results?: Readonly<Record<string, number>>;
}

/**
 * Records how the run ended in `config.json` (`status`: `completed at step N` or `stopped early at
 * step N`), writes the run folder's `report.html` (its path logged) and builds the run's result: the loader's
 * accounting, samples and batches, and the details every training run reports (backend, nda, steps,
 * steps/s, run folder, report) followed by the pipeline's own.
 */
export async function finishTrainingRun(run: FinishedTraining, log: (line: string) => void): Promise<PipelineResult> {
  const status = runStatus(run.aborted, run.steps);
  await recordRunStatus(run.runDir, status);
  const report = await writeRunReport(run.runDir, { title: `${run.pipeline} ${run.nda} seed ${run.seed}` });
  log(`report: ${report}`);
  return {
    accounting: run.accounting,
    seed: run.seed,
    samples: run.batches * run.batchSize,
    batches: run.batches,
    seconds: run.seconds,
    aborted: run.aborted,
    ...(run.results !== undefined && Object.keys(run.results).length > 0 ? { results: run.results } : {}),
    details: {
      backend: run.backend,
      nda: run.nda,
      steps: run.steps,
      stepsPerSecond: Math.round(((run.steps - run.startStep) / Math.max(run.seconds, 1e-9)) * 100) / 100,
      runDir: run.runDir,
      report,
      ...(run.aborted ? { status } : {}),
      ...run.details,
    },
  };
}
