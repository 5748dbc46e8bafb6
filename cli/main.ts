#!/usr/bin/env node
/**
 * The `ndaflow` command line: `prepare` (dataset converters), `inspect` (read shards), `preview`
 * (a PNG grid of real images and their negatives / positive views), `run` and `list` (registered
 * pipelines). Errors end with `ndaflow: error: MESSAGE` on stderr and exit code 1. SIGINT (Ctrl-C)
 * and SIGTERM stop a long command within a few seconds with a message, keeping what it finished,
 * and exit 130 / 143 (128 + the signal number; a second signal kills: `cli/interrupt.ts`).
 * A reader that goes away (`ndaflow run ... | head -1`) ends the command at once, quietly, with
 * exit code 0, as ripgrep does (see {@link stopQuietlyOnClosedPipe}). ndaflow's warnings (skipped samples under `warnAndContinue`/`warnAndStop`) are printed as
 * `ndaflow: warning [REASON]: MESSAGE`.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describeRank, rankFromEnv } from '../sources/launcher-env.js';
import { packageRoot } from '../sources/package-root.js';
import { evaluateCommand } from './commands/evaluate.js';
import { inspectCommand } from './commands/inspect.js';
import { listCommand } from './commands/list.js';
import { prepareCommand } from './commands/prepare.js';
import { previewCommand } from './commands/preview.js';
import { runCommand } from './commands/run.js';
import { SIGNAL_EXIT_CODES } from './interrupt.js';

const signalExit = (code: string | number | undefined): boolean =>
  (Object.values(SIGNAL_EXIT_CODES) as (string | number | undefined)[]).includes(code);

function version(): string {
  try {
    return (JSON.parse(readFileSync(`${packageRoot()}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function printWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w: Error & { code?: string }) => {
    if (w.name === 'NdaflowWarning') process.stderr.write(`ndaflow: warning [${w.code ?? 'error'}]: ${w.message}\n`);
    else process.stderr.write(`(node) ${w.name}: ${w.message}\n`);
  });
}

/**
 * A closed pipe (EPIPE on stdout or stderr: `ndaflow ... | head -1` after `head` exits) ends the
 * process at once and quietly, with the exit code set so far (0 unless the command already failed or
 * was interrupted): the reader has what it wanted. Node ignores SIGPIPE, so without this the write
 * error is an uncaught exception, and the uncaught-exception handler of the wasm backend's emscripten
 * module rethrows it, which prints its ~60 KB minified source line and exits 7. Exit 0 rather than
 * the shell's 141 (128 + SIGPIPE) keeps `set -o pipefail` scripts that cut the output short working
 * (ripgrep and fd do the same); what a training run checkpointed is kept, it does not resume by
 * itself. Any other error on these streams (EIO: the terminal went away) exits 1 the same way.
 */
function stopQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && process.exitCode === undefined) process.exitCode = 1;
      process.exit();
    });
  }
}

async function main(argv: readonly string[]): Promise<void> {
  stopQuietlyOnClosedPipe();
  printWarnings();
  const program = new Command('ndaflow')
    .description('stream WebDataset tar shards through RxJS operators, with negative data augmentation')
    .version(version())
    .option('--no-progress', 'no progress bar or progress lines on stderr')
    .showHelpAfterError()
    .exitOverride();
  program
    .addCommand(prepareCommand())
    .addCommand(inspectCommand())
    .addCommand(runCommand())
    .addCommand(listCommand())
    .addCommand(previewCommand())
    .addCommand(evaluateCommand());
  // a distributed run says where its rank came from (the library returns it and never prints)
  program.hook('preAction', (_program, action) => {
    if (action.name() !== 'run') return;
    const info = rankFromEnv();
    if (info.source !== 'none') process.stderr.write(`ndaflow: ${describeRank(info)}\n`);
  });
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (help, version, usage errors)
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`ndaflow: error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.NDAFLOW_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    // a command stopped by a signal keeps the signal's exit code (130 / 143) even when it then failed
    if (!signalExit(process.exitCode)) process.exitCode = 1;
  }
}

await main(process.argv);
