import { BACKEND_ORDER } from '../sinks/backend/backend-name.js';
import { HANDLER_NAMES } from '../sources/handlers.js';
import { choiceOption, flagOption, intOption, stringOption } from './pipeline-option.js';

/**
 * The options many pipelines share, declared once: compose them into a declaration
 * (`options: {...readOptions, batchSize: commonOptions.batchSize.withDefault(64), ...}`) and change a
 * default or help line with `withDefault`/`with`.
 */
export const commonOptions = {
  /** `--seed <int>`: seed of every random choice. */
  seed: intOption({
    min: 0,
    max: 0xffffffff,
    help: 'seed of every random choice',
    defaultText: 'a fresh one, printed',
  }),
  /** `--handler <name>`: error policy of every stage. */
  handler: choiceOption(HANDLER_NAMES, { default: 'reraise', help: 'error policy for bad samples and shards' }),
  /** `--allow-pipe`: allow `pipe:CMD` shard specs. */
  allowPipe: flagOption({ default: false, help: 'allow pipe:CMD shard specs (they run a shell command)' }),
  /** `--shards <spec>`: shards to read instead of the pipeline's own. */
  shards: stringOption({ type: 'spec', help: "shards to read (brace ranges, '::' between specs)" }),
  /** `--test-shards <spec>`: the test split, for pipelines that evaluate. */
  testShards: stringOption({ type: 'spec', help: 'test shards, for the evaluation at the end' }),
  /** `--epochs <int>`: passes over the shards. */
  epochs: intOption({ min: 1, help: 'passes over the shards' }),
  /** `--batch-size <int>`. */
  batchSize: intOption({ min: 1, help: 'samples per batch' }),
  /** `--shuffle <int>`: sample shuffle buffer (0: tar order). */
  shuffle: intOption({ min: 0, help: 'sample shuffle buffer (0: tar order)' }),
  /** `--steps <int>`: training steps; may raise the target of a resumed run. */
  steps: intOption({ min: 1, help: 'training steps', resumable: true }),
  /** `--backend <name>`: the TF.js backend; may change when resuming. */
  backend: choiceOption(BACKEND_ORDER, {
    help: 'TF.js backend',
    defaultText: 'the first that loads',
    resumable: true,
  }),
  /** `--run-dir <dir>`: the run folder. */
  runDir: stringOption({
    type: 'dir',
    help: 'run folder (config.json, metrics, checkpoints, report.html)',
    resumable: true,
  }),
  /** `--resume`: continue the run folder's run. */
  resume: flagOption({
    default: false,
    help: 'continue the run in --run-dir from where it stopped, with its saved options',
    resumable: true,
  }),
  /** `--overwrite`: start a new run in a run folder that holds another, removing that run first. */
  overwrite: flagOption({
    default: false,
    help: 'start a new run in --run-dir even though it holds another run, removing that run first (without it: an error)',
  }),
  /** `--no-eval`: skip the evaluation at the end. */
  evaluate: flagOption({ default: true, flag: 'eval', help: 'evaluate on the test split at the end', resumable: true }),
};

/** `seed`, `handler`, `allowPipe` and `shards`: what every pipeline that reads shards takes. */
export const readOptions = {
  seed: commonOptions.seed,
  handler: commonOptions.handler,
  allowPipe: commonOptions.allowPipe,
  shards: commonOptions.shards,
};

/** `runDir` and `resume`: what every pipeline with a run folder takes (added by `definePipeline` with `runFolder`). */
export const runFolderOptions = {
  seed: commonOptions.seed,
  runDir: commonOptions.runDir.with({ defaultText: 'runs/<name>-seed<seed>' }),
  resume: commonOptions.resume,
};
