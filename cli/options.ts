import { InvalidArgumentError, Option, type Command } from 'commander';
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
