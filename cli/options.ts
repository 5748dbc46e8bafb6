import { Command, InvalidArgumentError, Option } from 'commander';
import type { Pipeline } from '../pipelines/pipeline.js';
import { optionFlag, type AnyPipelineOption } from '../pipelines/pipeline-option.js';
import { HANDLER_NAMES, type HandlerName } from '../sources/handlers.js';

/** The options of every command that reads shards. */
export interface ReadOptions {
  /** Error policy for bad samples and shards. */
  readonly handler: HandlerName;
  /** Allow `pipe:CMD` shard specs (they run a shell command). */
  readonly allowPipe: boolean;
  /** Seed of every random choice; none: a fresh one, logged. */
  readonly seed?: number;
}

/** A commander argument parser for an integer in [min, max] (`--limit 10`, `--seed 7`, `1e6` allowed). */
export function integerArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isInteger(n))
      throw new InvalidArgumentError(
        `Cannot parse it as it must be an integer: current value is ${JSON.stringify(value)}`,
      );
    if (n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
      throw new InvalidArgumentError(`Cannot use it as it must be ${range}: current value is ${n}`);
    }
    return n;
  };
}

/** Adds `--handler NAME`, `--allow-pipe` and `--seed N` to a command. */
export function addReadOptions(
  command: Command,
  seedHelp = 'seed of every random choice (default: a fresh one, printed)',
): Command {
  return command
    .addOption(
      new Option('--handler <name>', 'error policy for bad samples and shards')
        .choices(HANDLER_NAMES)
        .default('reraise'),
    )
    .option('--allow-pipe', 'allow pipe:CMD shard specs (they run a shell command)', false)
    .option('--seed <n>', seedHelp, integerArg(0, 2 ** 32 - 1));
}

/** Whether progress is wanted (the global `--no-progress`). */
export function progressEnabled(command: Command): boolean {
  return command.optsWithGlobals<{ progress?: boolean }>().progress !== false;
}

/** How `--help` shows an option's default. */
function defaultNote(option: AnyPipelineOption): string {
  if (option.isFlag) return option.default === true ? ' (default: on)' : '';
  if (option.defaultText !== undefined) return ` (default: ${option.defaultText})`;
  if (option.default !== undefined)
    return ` (default: ${Array.isArray(option.default) ? option.default.join(',') : String(option.default)})`;
  return option.required ? ' (required)' : '';
}

/** The flags of a pipeline's options, as `--help` and the errors list them. */
export function pipelineFlags(pipeline: Pick<Pipeline, 'options'>): string[] {
  return Object.entries(pipeline.options).map(([key, option]) => optionFlag(key, option));
}

/**
 * The command line of one pipeline (`ndaflow run NAME [options]`), built from its declared options:
 * one commander option per declared one (`--steps <int>`, `--nda <name>` with its choices, `--no-eval`),
 * each with its type, default and help, so `helpInformation()` is the pipeline's `--help`.
 * Values are read as text here and checked by the pipeline's declaration (`resolvePipelineOptions`).
 */
export function pipelineCommand(pipeline: Pick<Pipeline, 'name' | 'summary' | 'options'>, usageName: string): Command {
  const command = new Command(usageName)
    .description(pipeline.summary)
    .usage('[options]')
    .helpOption(false)
    .exitOverride()
    .allowUnknownOption()
    .allowExcessArguments();
  for (const [key, option] of Object.entries(pipeline.options)) {
    const flag = optionFlag(key, option);
    const type = option.choices !== undefined ? 'name' : option.type;
    const choices = option.choices !== undefined ? ` (one of: ${option.choices.join(', ')})` : '';
    // a flag that is on by default is given to turn it off: say so before its help
    const help = option.isFlag && option.default === true ? `turn off: ${option.help}` : option.help;
    const o = new Option(option.isFlag ? flag : `${flag} <${type}>`, `${help}${choices}${defaultNote(option)}`);
    if (!option.isFlag) o.argParser((text: string) => option.parse(text));
    command.addOption(o);
    // the other form of a flag (`--flip` beside `--no-flip`), to override a preset that set it
    if (option.isFlag) command.addOption(new Option(oppositeFlag(flag)).hideHelp());
  }
  command.addHelpText(
    'after',
    '\nRun options: --json (one JSON object: pipeline, seed, accounting, samples, batches, seconds, throughput, details), --no-progress (no progress on stderr)\nEvery on/off option takes both forms (--no-flip and --flip), to override a --preset.',
  );
  return command;
}

/** `--no-x` for `--x` and back. */
function oppositeFlag(flag: string): string {
  return flag.startsWith('--no-') ? `--${flag.slice('--no-'.length)}` : `--no-${flag.slice(2)}`;
}

/**
 * Reads a pipeline's options from its command-line arguments (after `ndaflow run NAME`): the values
 * given, by declared key, as parsed text (the declaration checks them).
 * @throws Error `NAME takes no option --x; its options are ...` for an option it does not declare,
 *   `NAME takes no argument x` for a stray argument; commander's error for a missing value.
 */
export function readPipelineArgs(
  pipeline: Pick<Pipeline, 'name' | 'summary' | 'options'>,
  command: Command,
  args: readonly string[],
): Record<string, unknown> {
  const { operands, unknown } = command.parseOptions([...args]);
  const stray = unknown.find((a) => a.startsWith('-'));
  if (stray !== undefined) {
    const flag = stray.split('=')[0] ?? stray;
    throw new Error(
      `${pipeline.name} takes no option ${flag}; its options are ${pipelineFlags(pipeline).join(', ') || 'none'} (see ndaflow run ${pipeline.name} --help)`,
    );
  }
  const extra = [...operands, ...unknown][0];
  if (extra !== undefined) throw new Error(`${pipeline.name} takes no argument ${JSON.stringify(extra)}`);
  const values: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(pipeline.options)) {
    const attribute = new Option(optionFlag(key, option)).attributeName();
    if (command.getOptionValueSource(attribute) === 'cli') values[key] = command.getOptionValue(attribute);
  }
  return values;
}
