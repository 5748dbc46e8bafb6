import type { Accounting } from '../sources/ledger.js';
import type { AnyPipelineOption, PipelineOption } from './pipeline-option.js';

/** The options a pipeline declares, by key (`{steps: intOption({...}), nda: choiceOption([...], {...})}`). */
export type PipelineOptions = Readonly<Record<string, AnyPipelineOption>>;

/**
 * The options object a pipeline's body receives: one typed field per declared option, `T` where the
 * option has a default or is required, `T | undefined` otherwise.
 */
export type PipelineOptionValues<O extends PipelineOptions> = {
  readonly [K in keyof O]: O[K] extends PipelineOption<infer T, infer P> ? (P extends true ? T : T | undefined) : never;
};

/** What a caller may give `pipeline.run(...)`: any declared option, none required by the type (checked at run time). */
export type PipelineOptionInput<O extends PipelineOptions> = {
  readonly [K in keyof O]?: O[K] extends PipelineOption<infer T, boolean> ? T : never;
};

/** What the caller of a run hands it besides its options: where logs and progress go, and how to stop it. */
export interface PipelineContext {
  /** Receives the run's log lines (backend chosen, losses, the report's path), without newline. @default none (silent) */
  readonly log?: (line: string) => void;
  /** Stops the run early (the accounting still comes back). @default none */
  readonly signal?: AbortSignal;
  /** Called as items come out, with the samples and batches so far. @default none */
  readonly onProgress?: (samples: number, batches: number) => void;
  /** Called after each training step with the steps done, the target and a short detail (the losses). @default none */
  readonly onTrainingStep?: (step: number, steps: number, detail: string) => void;
}

/** What a pipeline run reports. */
export interface PipelineResult {
  /** The loader's accounting: seen, yielded, skipped by reason, lost. */
  readonly accounting: Accounting;
  /** The seed used (given or picked). */
  readonly seed: number;
  /** Samples and batches that came out. */
  readonly samples: number;
  readonly batches: number;
  /** Wall time of the run in seconds. */
  readonly seconds: number;
  /** True when stopped early through `signal`. */
  readonly aborted: boolean;
  /**
   * The run's headline results, what it was run for: FID and KID of a GAN's generator (`fid`, `kid`,
   * `kidStd`, when evaluated), AUROCs of an anomaly run (`oneClassAuroc`, `meanOodAuroc`), linear-probe
   * top-1 of a contrastive run (`probe_LABEL_top1`), a classifier's `testAccuracy`. The CLI prints them
   * first, as `results: fid 376.742, kid 23.0262, kidStd 0.7281`. @default none
   */
  readonly results?: Readonly<Record<string, number>>;
  /** Pipeline-specific figures (backend, steps, run folder, ...), printed as `key: value` lines. @default none */
  readonly details?: Readonly<Record<string, string | number>>;
}

/** Brand of the objects {@link definePipeline} makes (a registered symbol, so two copies of ndaflow agree). */
export const PIPELINE_BRAND: unique symbol = Symbol.for('ndaflow.pipeline') as never;

/**
 * A declared, runnable pipeline (`ndaflow run NAME`, `ndaflow run ./file.js`, or `pipeline.run(...)`),
 * made by `definePipeline`.
 */
export interface Pipeline<O extends PipelineOptions = PipelineOptions> {
  readonly [PIPELINE_BRAND]: true;
  /** Name on the command line (kebab-case). */
  readonly name: string;
  /** One line for `ndaflow list` and `--help`. */
  readonly summary: string;
  /** The options it takes, as declared (with the run-folder options when `runFolder`). */
  readonly options: O;
  /** Whether the helper manages its run folder (seed, `config.json`, saved state, `--resume`, `report.html`). */
  readonly runFolder: boolean;
  /**
   * Runs the pipeline to its end (or until `context.signal` aborts).
   * @throws RangeError/TypeError for an option it does not take (naming those it does) or a bad value
   *   (naming the option), before anything is read; PipelineError (with the accounting) when the run fails.
   */
  run(options?: PipelineOptionInput<O>, context?: PipelineContext): Promise<PipelineResult>;
}
