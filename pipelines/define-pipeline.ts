import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../sinks/checkpoint/write-file-atomic.js';
import { writeRunConfig } from '../sinks/report/run-folder.js';
import { writeRunReport } from '../sinks/report/write-run-report.js';
import { rangeError, typeError } from '../sources/errors.js';
import type { Loader } from '../sources/loader.js';
import type { LoaderState } from '../sources/loader-state.js';
import { freshSeed } from '../sources/random.js';
import { runFolderOptions } from './common-options.js';
import { readResumedConfig } from './internal/resumed-config.js';
import { PipelineError } from './pipeline-error.js';
import { optionFlag } from './pipeline-option.js';
import {
  PIPELINE_BRAND,
  type Pipeline,
  type PipelineContext,
  type PipelineOptionValues,
  type PipelineOptions,
  type PipelineResult,
} from './pipeline.js';

/** The file of a run folder where {@link PipelineRunContext.consume} keeps the loader's state for `--resume`. */
export const STREAM_STATE_FILE = 'stream-state.json';
/** How often `consume` saves the loader's state while it runs (it also saves at the end, on abort and on failure). */
const SAVE_EVERY_MS = 10_000;

/** Options of {@link PipelineRunContext.consume}. */
export interface ConsumeOptions<T> {
  /** Called with each item (awaited) before the next one is asked for. @default none */
  readonly each?: (item: T) => void | Promise<void>;
  /** The seed the result reports. @default the run's `seed` */
  readonly seed?: number;
}

/** What a pipeline's body gets besides its options. */
export interface PipelineRunContext {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** `run NAME`, the action of the house error messages. */
  readonly action: string;
  /** Log lines (never undefined: a no-op when the caller gave none). */
  readonly log: (line: string) => void;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ((samples: number, batches: number) => void) | undefined;
  readonly onTrainingStep: ((step: number, steps: number, detail: string) => void) | undefined;
  /** The option keys the caller gave (the others hold their defaults). */
  readonly given: ReadonlySet<string>;
  /**
   * The run's seed: the one given, the saved one when resuming, or else a fresh one, picked (and
   * logged, so the run can be repeated) the first time it is read.
   */
  readonly seed: number;
  /** The run folder, with `runFolder` (the given `runDir` or `runs/<name>-seed<seed>`); else undefined. */
  readonly runDir: string | undefined;
  /** True when this run continues a saved one (`resume`, with `runFolder`). */
  readonly resuming: boolean;
  /**
   * Drives a loader to its end: counts samples (a batch counts its members) and batches, reports
   * progress, stops on abort, wraps a failure in `PipelineError` with the accounting, and returns the
   * run's result. With a run folder it saves the loader's state (`stream-state.json`: every 10 s, at
   * the end, on abort and on failure) and, resuming, continues from it: no sample repeated, none lost.
   */
  consume<T>(loader: Loader<T>, options?: ConsumeOptions<T>): Promise<PipelineResult>;
}

/** The options of a declaration, with `seed`, `runDir` and `resume` when it has a run folder. */
export type DeclaredOptions<O extends PipelineOptions, R extends boolean> = R extends true
  ? Omit<typeof runFolderOptions, keyof O> & O
  : O;

/** What {@link definePipeline} takes. */
export interface PipelineDeclaration<O extends PipelineOptions, R extends boolean = false> {
  /** Name on the command line (kebab-case: letters, digits, `-`). */
  readonly name: string;
  /** One line for `ndaflow list` and `--help`. */
  readonly summary: string;
  /** The options it takes (compose `commonOptions`, `readOptions`, `ndaOptions(...)` and your own). */
  readonly options: O;
  /**
   * Let the helper manage a run folder: it adds `seed`, `runDir` and `resume` when not declared, resolves
   * the seed and the folder (`runs/<name>-seed<seed>`), writes `config.json` (the options), keeps the
   * loader's state through `context.consume` and writes `report.html` at the end. With `resume` the
   * saved options come back (giving a different value for one that is not `resumable` is refused).
   * @default false (the pipeline manages its own folder, or writes none)
   */
  readonly runFolder?: R;
  /** The pipeline's body: its checked options (defaults filled in) and its context. */
  run(options: PipelineOptionValues<DeclaredOptions<O, R>>, context: PipelineRunContext): Promise<PipelineResult>;
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const DECLARATION_KEYS = optionKeys<PipelineDeclaration<PipelineOptions>>({
  name: true,
  summary: true,
  options: true,
  runFolder: true,
  run: true,
});

/**
 * Declares a pipeline: its name, summary, options (type, default, help and check of each) and body.
 * The result runs from code (`pipeline.run({steps: 5}, {log})`) and from the command line
 * (`ndaflow run NAME --steps 5`, `ndaflow run NAME --help`, or `ndaflow run ./file.js` when it is a
 * module's default export). Every run checks its options first: an option the pipeline does not take
 * is an error naming the ones it does; a bad value is an error naming the option.
 *
 * @throws TypeError when the declaration itself is malformed (name, options, body).
 * @example
 * export default definePipeline({
 *   name: 'gray-batches',
 *   summary: 'shards -> decode(gray) -> batch',
 *   runFolder: true,
 *   options: { shards: commonOptions.shards.asRequired(), batchSize: intOption({ default: 32, min: 1, help: 'batch size' }) },
 *   run: (o, ctx) =>
 *     ctx.consume(createLoader(fromShards(o.shards, { seed: ctx.seed }), decode({ image: 'gray' }), batch(o.batchSize))),
 * });
 */
export function definePipeline<O extends PipelineOptions, R extends boolean = false>(
  declaration: PipelineDeclaration<O, R>,
): Pipeline<DeclaredOptions<O, R>> {
  const action = 'declare a pipeline';
  if (typeof declaration !== 'object' || declaration === null)
    throw typeError(action, 'the declaration must be an object', declaration);
  checkOptionKeys('definePipeline', declaration, DECLARATION_KEYS);
  const { name, summary } = declaration;
  if (typeof name !== 'string' || !NAME.test(name))
    throw typeError(action, 'name must be kebab-case (a-z, 0-9, -)', name);
  if (typeof summary !== 'string') throw typeError(action, 'summary must be a string', summary);
  if (typeof declaration.run !== 'function') throw typeError(action, 'run must be a function', typeof declaration.run);
  const run = (options: Record<string, unknown>, context: PipelineRunContext): Promise<PipelineResult> =>
    declaration.run(options as never, context);
  const runFolder = declaration.runFolder === true;
  const options = (
    runFolder ? { ...runFolderOptions, ...declaration.options } : { ...declaration.options }
  ) as DeclaredOptions<O, R>;
  for (const [key, option] of Object.entries(options)) {
    if (typeof option !== 'object' || option === null || typeof option.check !== 'function')
      throw typeError(
        `declare pipeline ${name}`,
        `option ${key} must be made by an option factory (intOption, ...)`,
        key,
      );
  }
  const pipeline: Pipeline<DeclaredOptions<O, R>> = {
    [PIPELINE_BRAND]: true,
    name,
    summary,
    options,
    runFolder,
    async run(input = {}, context = {}) {
      const resolved = resolvePipelineOptions(pipeline, input, 'keys');
      return runDeclared(pipeline, run, resolved.values, resolved.given, context);
    },
  };
  return Object.freeze(pipeline);
}

/** Whether a value is a pipeline made by {@link definePipeline} (of this copy of ndaflow or another). */
export function isPipeline(value: unknown): value is Pipeline {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PIPELINE_BRAND] === true;
}

/**
 * Checks a run's options against a pipeline's declaration and fills in the defaults. `naming` says how
 * errors name an option: by its key (`batchSize`, for code) or its flag (`--batch-size`, for the CLI).
 * @throws RangeError for an option the pipeline does not take (naming the ones it does) or a bad
 *   value; TypeError for a wrong type or a required option left out.
 */
export function resolvePipelineOptions(
  pipeline: Pick<Pipeline, 'name' | 'options' | 'runFolder'>,
  input: Readonly<Record<string, unknown>>,
  naming: 'keys' | 'flags',
): { values: Record<string, unknown>; given: Set<string> } {
  const action = `run ${pipeline.name}`;
  if (typeof input !== 'object' || input === null) throw typeError(action, 'options must be an object', input);
  const nameOf = (key: string): string => (naming === 'flags' ? optionFlag(key, pipeline.options[key] as never) : key);
  const known = Object.keys(pipeline.options);
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(pipeline.options, key) && input[key] !== undefined)
      throw rangeError(
        action,
        `${pipeline.name} takes no option ${key}; its options are ${known.map(nameOf).join(', ') || 'none'}`,
        input[key],
      );
  }
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  // resuming, a required option may come from the saved config.json (checked once it is read)
  const resuming = pipeline.runFolder && input['resume'] === true;
  for (const [key, option] of Object.entries(pipeline.options)) {
    const value = input[key];
    if (value === undefined) {
      if (option.required && !resuming) throw typeError(action, `it needs ${nameOf(key)}`, undefined);
      values[key] = option.default;
    } else {
      values[key] = option.check(value, action, nameOf(key));
      given.add(key);
    }
  }
  return { values, given };
}

type Body = (options: Record<string, unknown>, context: PipelineRunContext) => Promise<PipelineResult>;

/** The one path every declared pipeline runs through: context, run folder and resume, body, report. */
async function runDeclared(
  pipeline: Pipeline,
  body: Body,
  values: Record<string, unknown>,
  given: Set<string>,
  caller: PipelineContext,
): Promise<PipelineResult> {
  const action = `run ${pipeline.name}`;
  const log = caller.log ?? (() => undefined);
  let seed = typeof values['seed'] === 'number' ? values['seed'] : undefined;
  const seedOf = (): number => {
    if (seed === undefined) {
      seed = freshSeed();
      log(`seed: ${seed} (fresh; pass --seed ${seed} to repeat this run)`);
    }
    return seed;
  };
  let runDir: string | undefined;
  let resumeFrom: LoaderState | undefined;
  let options = values;
  const resuming = pipeline.runFolder && values['resume'] === true;
  if (pipeline.runFolder) {
    if (resuming) {
      runDir = values['runDir'] as string | undefined;
      if (runDir === undefined) {
        if (seed === undefined)
          throw typeError(
            action,
            'resume needs the run folder (--run-dir), or the seed that names the default one',
            'neither',
          );
        runDir = defaultRunDir(pipeline.name, seed);
      }
      const fixed: Record<string, unknown> = {};
      for (const key of given) if (!(pipeline.options[key]?.resumable ?? true)) fixed[key] = values[key];
      const saved = await readResumedConfig(action, pipeline.name, runDir, fixed);
      options = { ...values };
      for (const [key, option] of Object.entries(pipeline.options)) {
        if (!option.resumable && Object.hasOwn(saved, key)) options[key] = option.check(saved[key], action, key);
        if (option.required && options[key] === undefined)
          throw typeError(action, `it needs ${key}, and ${join(runDir, 'config.json')} has none`, undefined);
      }
      seed = saved['seed'] as number;
      options['seed'] = seed;
      resumeFrom = await readStreamState(runDir);
      log(`resuming ${runDir}${resumeFrom === undefined ? ' (no saved stream state: from the start)' : ''}`);
    } else {
      runDir = (values['runDir'] as string | undefined) ?? defaultRunDir(pipeline.name, seedOf());
      options = { ...values, seed: seedOf() };
    }
    const config: Record<string, unknown> = { pipeline: pipeline.name };
    for (const [key, value] of Object.entries(options))
      if (key !== 'runDir' && key !== 'resume' && value !== undefined) config[key] = value;
    await writeRunConfig(runDir, config);
  }
  const folder = runDir;
  const context: PipelineRunContext = {
    pipeline: pipeline.name,
    action,
    log,
    signal: caller.signal,
    onProgress: caller.onProgress,
    onTrainingStep: caller.onTrainingStep,
    given,
    get seed() {
      return seedOf();
    },
    runDir: folder,
    resuming,
    consume: (loader, consumeOptions = {}) =>
      consume(pipeline.name, loader, consumeOptions, {
        caller,
        seed: () => consumeOptions.seed ?? seedOf(),
        runDir: folder,
        resumeFrom,
      }),
  };
  const result = await body(options, context);
  if (folder === undefined) return result;
  const report = await writeRunReport(folder, { title: `${pipeline.name} seed ${result.seed}` });
  log(`report: ${report}`);
  return { ...result, details: { ...result.details, runDir: folder, report } };
}

/** `runs/<name>-seed<seed>`: the run folder of a `runFolder` pipeline when the run names none. */
export function defaultRunDir(name: string, seed: number): string {
  return join('runs', `${name}-seed${seed}`);
}

async function readStreamState(runDir: string): Promise<LoaderState | undefined> {
  let text: string;
  try {
    text = await readFile(join(runDir, STREAM_STATE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return (JSON.parse(text) as { loaderState: LoaderState }).loaderState;
}

async function consume<T>(
  name: string,
  loader: Loader<T>,
  options: ConsumeOptions<T>,
  run: {
    readonly caller: PipelineContext;
    readonly seed: () => number;
    readonly runDir: string | undefined;
    readonly resumeFrom: LoaderState | undefined;
  },
): Promise<PipelineResult> {
  const it = loader.iterate(run.resumeFrom !== undefined ? { resumeFrom: run.resumeFrom } : {});
  const start = performance.now();
  let samples = 0;
  let batches = 0;
  let aborted = false;
  let saved = performance.now();
  const save = async (): Promise<void> => {
    if (run.runDir === undefined) return;
    saved = performance.now();
    const state = { loaderState: it.state(), samples, batches, accounting: it.accounting() };
    await writeFileAtomic(join(run.runDir, STREAM_STATE_FILE), `${JSON.stringify(state)}\n`);
  };
  try {
    for await (const item of it) {
      batches++;
      const key = (item as { __key__?: unknown } | null)?.__key__;
      samples += Array.isArray(key) ? key.length : 1;
      await options.each?.(item);
      run.caller.onProgress?.(samples, batches);
      if (run.caller.signal?.aborted) {
        aborted = true;
        break;
      }
      if (run.runDir !== undefined && performance.now() - saved > SAVE_EVERY_MS) await save();
    }
  } catch (err) {
    await save().catch(() => undefined);
    throw new PipelineError(name, it.accounting(), err);
  }
  await save();
  return {
    accounting: it.accounting(),
    seed: run.seed(),
    samples,
    batches,
    seconds: (performance.now() - start) / 1000,
    aborted,
  };
}
