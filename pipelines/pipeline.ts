import type { HandlerName } from '../sources/handlers.js';
import type { Accounting } from '../sources/ledger.js';

/** What every pipeline run takes (the CLI fills it from `ndaflow run NAME [options]`). */
export interface PipelineRunOptions {
  /** Seed of every random choice. @default a fresh seed, logged on stderr */
  readonly seed?: number;
  /** Error policy of every stage. @default 'reraise' */
  readonly handler?: HandlerName;
  /** Allow `pipe:CMD` shard specs. @default false */
  readonly allowPipe?: boolean;
  /** Shards to read instead of the pipeline's own. @default the pipeline's (e.g. the embedded Fashion-MNIST shards) */
  readonly shards?: string;
  /**
   * Test shards, for pipelines that evaluate on a test split.
   * @default the embedded test shards with the embedded training shards; else the `test-NNNNNN.tar[.gz]` beside `shards`
   */
  readonly testShards?: string;
  /** Epochs. @default 1 */
  readonly epochs?: number;
  /** Batch size, for pipelines that batch. @default the pipeline's */
  readonly batchSize?: number;
  /** Sample shuffle buffer size (0: tar order). @default the pipeline's */
  readonly shuffle?: number;
  /** Negative data augmentation, for pipelines that train with it (`fmnist-gan`: none|jigsaw|stitch|mixup|cutout|cutmix). @default the pipeline's */
  readonly nda?: string;
  /** NDA views per query, added as extra negatives to its InfoNCE denominator, for the MoCo pipelines. @default 1 */
  readonly ndaPerQuery?: number;
  /** The class trained on as normal, for one-class anomaly pipelines (`fmnist-anomaly`: 0..9). @default 0 */
  readonly normalClass?: number;
  /** Training steps, for pipelines that train. @default the pipeline's */
  readonly steps?: number;
  /** TF.js backend (`selectBackend`'s names), for pipelines that train. @default the first that loads */
  readonly backend?: string;
  /** Measure the trained model on the test split at the end (FID/KID for `fmnist-gan`). @default true */
  readonly evaluate?: boolean;
  /** Network pair, for the GAN pipelines: `dcgan` or `sn-resnet`. @default 'dcgan' */
  readonly architecture?: string;
  /** Train class-conditional networks on the `cls` labels, for the GAN pipelines. @default false */
  readonly conditional?: boolean;
  /** Run folder (metrics, checkpoints), for pipelines that write one. @default the pipeline's, under `runs/` */
  readonly runDir?: string;
  /**
   * Continue the run in `runDir` from its latest checkpoint (same samples, same randomness), with the
   * configuration saved in its `config.json`; `steps` may raise the target. For pipelines that train.
   * @default false
   */
  readonly resume?: boolean;
  /** Called after each training step with the steps done, the target and a short detail (the losses). @default none */
  readonly onTrainingStep?: (step: number, steps: number, detail: string) => void;
  /** Receives the run's log lines (backend chosen, losses), without newline. @default none (silent) */
  readonly log?: (line: string) => void;
  /** Stops the run early (the accounting still comes back). */
  readonly signal?: AbortSignal;
  /** Called as items come out, with the samples and batches so far. */
  readonly onProgress?: (samples: number, batches: number) => void;
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
  /** Pipeline-specific figures (backend, steps, run folder, ...), printed as `key: value` lines. @default none */
  readonly details?: Readonly<Record<string, string | number>>;
}

/** A declared, runnable pipeline (`ndaflow run NAME`). */
export interface Pipeline {
  /** Name on the command line (kebab-case). */
  readonly name: string;
  /** One line for `ndaflow list`. */
  readonly description: string;
  /** Runs the pipeline to its end (or until `signal` aborts). */
  run(options: PipelineRunOptions): Promise<PipelineResult>;
}
