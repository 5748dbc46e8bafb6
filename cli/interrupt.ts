/**
 * How every long command (`prepare`, `run`, `inspect`, `preview`) stops on SIGINT (Ctrl-C) and
 * SIGTERM (a scheduler's preemption): the first signal prints `ndaflow: stopping on SIGINT ...` and
 * aborts the command's `AbortSignal`, so it finishes its step, keeps what it made (a checkpoint, the
 * complete shards) and says so; a second signal, or `graceMs` without an end, exits at once. The exit
 * code is 128 + the signal's number, the shell convention: 130 for SIGINT, 143 for SIGTERM.
 */

/** Exit codes by signal (128 + signal number). */
export const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/** A handled signal. */
export type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

/** Options of {@link onInterrupt}. */
export interface InterruptOptions {
  /** What stops (`prepare fashion-mnist`), for the messages. */
  readonly label: string;
  /** Milliseconds after the first signal before the process exits anyway. @default 10000 */
  readonly graceMs?: number;
  /** Where the messages go. @default process.stderr */
  readonly stream?: NodeJS.WritableStream;
  /** Called before the process exits on a second signal or after `graceMs` (stops a progress bar). @default none */
  readonly beforeExit?: () => void;
}

/** The interrupt handling of one command (see {@link onInterrupt}). */
export interface Interrupt {
  /** Aborted on the first SIGINT/SIGTERM; its `reason` is an Error whose message is the signal's name. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  readonly received: StopSignal | undefined;
  /**
   * Removes the handlers and sets `process.exitCode` (130/143) when a signal came. The grace timer
   * stays armed (unref'd): a process that lingers after its command ended still exits. Idempotent.
   */
  dispose(): void;
}

/** An `Error` saying that the command was stopped by a signal (the abort reason). */
export class InterruptedError extends Error {
  constructor(readonly stopSignal: StopSignal) {
    super(`stopped by ${stopSignal}`);
    this.name = 'InterruptedError';
  }
}

/**
 * Installs SIGINT/SIGTERM handlers for one command (see the module comment). Call `dispose()` when the
 * command ends, in a `finally`.
 */
export function onInterrupt(options: InterruptOptions): Interrupt {
  const stream = options.stream ?? process.stderr;
  const graceMs = options.graceMs ?? 10_000;
  const controller = new AbortController();
  let received: StopSignal | undefined;
  let disposed = false;
  const exitNow = (why: string) => {
    options.beforeExit?.();
    stream.write(`ndaflow: ${options.label}: ${why}\n`);
    process.exit(SIGNAL_EXIT_CODES[received ?? 'SIGINT']);
  };
  const handler = (sig: StopSignal) => {
    if (received !== undefined) {
      exitNow(`killed by a second ${sig}`);
      return;
    }
    received = sig;
    stream.write(
      `\nndaflow: ${options.label}: stopping on ${sig} (${sig === 'SIGINT' ? 'Ctrl-C' : 'SIGINT or SIGTERM'} again to kill)\n`,
    );
    controller.abort(new InterruptedError(sig));
    const timer = setTimeout(() => exitNow(`did not stop within ${graceMs / 1000} s after ${sig}: exiting`), graceMs);
    timer.unref();
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (received !== undefined) process.exitCode = SIGNAL_EXIT_CODES[received];
    },
  };
}
