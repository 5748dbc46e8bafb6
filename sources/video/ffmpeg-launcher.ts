import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';

/** How an ffmpeg process ended: its exit code, or the signal that killed it (then `code` is null). */
export interface FfmpegExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** What a started ffmpeg process reports, as it happens. */
export interface FfmpegHandlers {
  /** A chunk of its standard output (the frames), in order. */
  readonly stdout: (chunk: Buffer) => void;
  /** Text of its standard error (the log, UTF-8), in order. */
  readonly stderr: (text: string) => void;
  /**
   * Called once, after the last output: with how the process ended, or with the error that kept
   * it from starting or running (then `exit` is all null).
   */
  readonly close: (exit: FfmpegExit, error?: Error) => void;
}

/** A running ffmpeg process, whichever way it was started. */
export interface FfmpegProcess {
  /** Kills it (SIGKILL) if it still runs. Idempotent. */
  kill(): void;
}

/** Starts ffmpeg processes: see {@link launchDirect} and {@link ShellLauncher}. */
export interface FfmpegLauncher {
  /** Starts `binary argv...`, writing `input` (when given) to its stdin then closing it; stdin is /dev/null otherwise. */
  start(binary: string, argv: readonly string[], input: Uint8Array | undefined, on: FfmpegHandlers): FfmpegProcess;
  /** Kills every process it started and releases what it holds. Idempotent. */
  close(): void;
}

/**
 * `child_process.spawn` of each process from this one. Node forks the whole parent to start a
 * process: the fork copies the page tables of this (large) process and write-protects all of its
 * memory, so that every page written afterwards (GC, pipe reads, clip buffers) faults once more.
 * Measured on 2 cores, 112 px clips of 48-64 frame mp4s: ~19 ms of Node CPU per video (650 page
 * faults), most of the loader's Node side. Used where {@link ShellLauncher} cannot run (no
 * `/bin/sh`, Windows).
 */
export class DirectLauncher implements FfmpegLauncher {
  private readonly running = new Set<ChildProcess>();

  start(binary: string, argv: readonly string[], input: Uint8Array | undefined, on: FfmpegHandlers): FfmpegProcess {
    const child = spawn(binary, argv, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    this.running.add(child);
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    if (child.stdin !== null) {
      child.stdin.on('error', () => undefined); // EPIPE once ffmpeg has stopped reading (killed, or done)
      child.stdin.end(input);
    }
    let settled = false;
    const settle = (exit: FfmpegExit, error?: Error) => {
      if (settled) return;
      settled = true;
      this.running.delete(child);
      on.close(exit, error);
    };
    child.stdout?.on('data', on.stdout);
    child.stderr?.setEncoding('utf8').on('data', on.stderr);
    child.on('error', (error) => {
      kill();
      settle({ code: null, signal: null }, new Error(`Cannot start ffmpeg: ${error.message}`));
    });
    child.on('close', (code, signal) => settle({ code, signal }));
    return { kill };
  }

  close(): void {
    for (const child of this.running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.running.clear();
  }
}

/**
 * The helper's loop (POSIX sh). Commands, one a line on its stdin: `m K` makes slot K's three FIFOs
 * and answers `m K status`; `r K ARGS...` (ARGS single-quoted) runs ARGS with stdout and stderr to
 * slot K's FIFOs and stdin from its input FIFO (`n K ARGS...`: from /dev/null), answering `p K pid`
 * once started and `x K status` once it has exited. On end of input (the parent is gone) it kills
 * its process group: every process it started.
 */
const HELPER_SCRIPT = [
  'while IFS= read -r line; do',
  '  eval "set -- $line"',
  '  c=$1; k=$2; shift 2',
  '  case $c in',
  '  m) mkfifo "$NDAFLOW_FIFO_DIR/i$k" "$NDAFLOW_FIFO_DIR/o$k" "$NDAFLOW_FIFO_DIR/e$k" 2>/dev/null; echo "m $k $?" ;;',
  '  r) { "$@" >"$NDAFLOW_FIFO_DIR/o$k" 2>"$NDAFLOW_FIFO_DIR/e$k" <"$NDAFLOW_FIFO_DIR/i$k" & echo "p $k $!"; wait $!; echo "x $k $?"; } & ;;',
  '  n) { "$@" >"$NDAFLOW_FIFO_DIR/o$k" 2>"$NDAFLOW_FIFO_DIR/e$k" </dev/null & echo "p $k $!"; wait $!; echo "x $k $?"; } & ;;',
  '  esac',
  'done',
  'kill -9 0',
].join('\n');

/** One slot: three FIFOs in the folder, reused by one process at a time. */
interface Slot {
  readonly id: number;
  /** Settles once the FIFOs exist. */
  readonly made: Promise<void>;
}

/** What the launcher knows of one process it started. */
interface Started {
  readonly slot: Slot;
  pid: number | undefined;
  /** The helper reported its pid (it has forked: the opens of its FIFOs come next). */
  forked(): void;
  killed: boolean;
  exit: number | undefined;
  /** Fails the process (the helper died, or the launcher closed). */
  fail(error: Error): void;
  /** The helper reported the exit status. */
  exited(status: number): void;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Starts ffmpeg processes through one small `/bin/sh` helper process instead of forking this
 * process: the helper (a shell of ~1 MB) forks and execs each ffmpeg, whose stdin, stdout and
 * stderr are FIFOs in `folder` that this process opens (three per slot; a slot is reused once its
 * process has exited and its FIFOs are closed). Node's own cost per process is then a line on the
 * helper's stdin and three opens. Measured on 2 cores, 112 px clips of 48-64 frame mp4s: Node CPU
 * per video 19 -> 6 ms, page faults 650 -> 40 (see {@link DirectLauncher} for why forking costs).
 *
 * The helper and every process it started share one process group, killed at once by
 * {@link close} (and by the helper itself when this process goes away). The helper is started on
 * the first {@link start} (one fork of this process), holds the event loop only while a process
 * runs, and is started again if it dies. POSIX only: use {@link canUseShellLauncher} first.
 */
export class ShellLauncher implements FfmpegLauncher {
  private helper: ChildProcess | undefined;
  private readonly free: Slot[] = [];
  private slotCount = 0;
  private readonly pendingMake = new Map<number, (status: number) => void>();
  private readonly started = new Map<number, Started>();
  private stdoutRest = '';
  private closed = false;

  /** @param folder an existing private folder for the FIFOs (the caller removes it). */
  constructor(private readonly folder: string) {}

  start(binary: string, argv: readonly string[], input: Uint8Array | undefined, on: FfmpegHandlers): FfmpegProcess {
    for (const arg of [binary, ...argv])
      if (arg.includes('\n')) throw new TypeError(`Cannot start ffmpeg as an argument holds a line break: ${arg}`);
    const outs: Socket[] = [];
    let settled = false;
    let proc: Started | undefined;
    let slot: Slot | undefined;
    let killed = false;
    let inputSocket: Socket | undefined;
    let outputsClosed = 0;

    const settle = (exit: FfmpegExit, error?: Error) => {
      if (settled) return;
      settled = true;
      inputSocket?.destroy();
      for (const s of outs) s.destroy();
      if (proc !== undefined && this.started.get(proc.slot.id) === proc) this.started.delete(proc.slot.id);
      // a slot is reused only once its process has exited and every end of its FIFOs here is closed
      if (slot !== undefined && error === undefined && !this.closed) this.free.push(slot);
      this.refCount();
      on.close(exit, error);
    };
    const maybeDone = () => {
      if (proc?.exit === undefined || outputsClosed < 2) return;
      settle(exitOf(proc.exit));
    };
    const run = async () => {
      const helper = this.ensureHelper();
      slot = await this.slot();
      if (killed || this.closed) return settle({ code: null, signal: 'SIGKILL' });
      // the read ends first (non-blocking: they open at once), so that the shell's opens of the write ends do not block
      for (const name of ['o', 'e'] as const) {
        const fd = openSync(join(this.folder, `${name}${slot.id}`), constants.O_RDONLY | constants.O_NONBLOCK);
        const socket = new Socket({ fd, readable: true, writable: false });
        outs.push(socket);
        if (name === 'o') socket.on('data', on.stdout);
        else socket.setEncoding('utf8').on('data', on.stderr);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          outputsClosed++;
          maybeDone();
        });
      }
      let forked = () => undefined as void;
      const pidKnown = new Promise<void>((resolve) => (forked = resolve));
      const started: Started = {
        slot,
        pid: undefined,
        forked: () => forked(),
        killed: false,
        exit: undefined,
        fail: (error) => {
          forked();
          settle({ code: null, signal: null }, error);
        },
        exited: (status) => {
          started.exit = status;
          // A process killed before it opened its output FIFOs never gives their readers an end of
          // file: open and close a writer of each ourselves, so that the readers see, once what is
          // buffered has been read, that no writer is left.
          for (const name of ['o', 'e']) releaseReader(join(this.folder, `${name}${started.slot.id}`));
          maybeDone();
        },
      };
      proc = started;
      this.started.set(slot.id, started);
      this.refCount();
      helper.stdin?.write(`${input === undefined ? 'n' : 'r'} ${slot.id} ${[binary, ...argv].map(quote).join(' ')}\n`);
      if (input !== undefined) {
        await pidKnown; // the reader opens its end right after the fork: fewer failed opens than polling from now
        const fd = await openWriter(join(this.folder, `i${slot.id}`), () => killed || settled);
        if (fd === undefined) return;
        inputSocket = new Socket({ fd, readable: false, writable: true });
        inputSocket.on('error', () => undefined); // EPIPE once ffmpeg has stopped reading (killed, or done)
        inputSocket.end(input);
      }
    };
    run().catch((error: unknown) =>
      settle(
        { code: null, signal: null },
        new Error(`Cannot start ffmpeg: ${error instanceof Error ? error.message : String(error)}`),
      ),
    );
    return {
      kill: () => {
        if (killed || settled) return;
        killed = true;
        if (proc === undefined) return; // run() sees `killed` before it starts anything
        proc.killed = true;
        if (proc.pid !== undefined) killPid(proc.pid); // else killed when its pid arrives
      },
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const helper = this.helper;
    this.helper = undefined;
    if (helper?.pid !== undefined) killGroup(helper.pid);
    for (const p of [...this.started.values()]) p.fail(abortLike());
    this.started.clear();
    this.free.length = 0;
  }

  /** A free slot, or a new one (its FIFOs made by the helper). */
  private async slot(): Promise<Slot> {
    const reused = this.free.pop();
    if (reused !== undefined) {
      await reused.made;
      return reused;
    }
    const id = this.slotCount++;
    const made = new Promise<void>((resolve, reject) => {
      this.pendingMake.set(id, (status) =>
        status === 0 ? resolve() : reject(new Error(`mkfifo failed in ${this.folder} (status ${status})`)),
      );
    });
    this.ensureHelper().stdin?.write(`m ${id}\n`);
    this.refCount();
    await made;
    return { id, made };
  }

  private ensureHelper(): ChildProcess {
    if (this.closed) throw new Error('the ffmpeg launcher is closed');
    if (this.helper !== undefined) return this.helper;
    const helper = spawn('/bin/sh', ['-c', HELPER_SCRIPT], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, NDAFLOW_FIFO_DIR: this.folder },
      detached: true, // its own process group, killed at once
    });
    this.helper = helper;
    this.stdoutRest = '';
    helper.stdin?.on('error', () => undefined);
    helper.stdout?.setEncoding('utf8').on('data', (text: string) => this.answers(text));
    const gone = (reason: string) => {
      if (this.helper !== helper) return;
      this.helper = undefined;
      if (helper.pid !== undefined) killGroup(helper.pid);
      // every slot's FIFOs stay; processes in flight fail, waiting mkfifos too
      for (const p of [...this.started.values()]) p.fail(new Error(`Cannot run ffmpeg as its launcher ${reason}`));
      this.started.clear();
      for (const [id, done] of this.pendingMake) {
        this.pendingMake.delete(id);
        done(-1);
      }
    };
    helper.on('error', (error) => gone(`could not start: ${error.message}`));
    helper.on('exit', (code, signal) => gone(`(/bin/sh) exited (${signal ?? code})`));
    this.refCount();
    return helper;
  }

  /** Lines from the helper: `m K status`, `p K pid`, `x K status`. */
  private answers(text: string): void {
    const lines = (this.stdoutRest + text).split('\n');
    this.stdoutRest = lines.pop() ?? '';
    for (const line of lines) {
      const [kind, k, v] = line.split(' ');
      const id = Number(k);
      const value = Number(v);
      if (kind === 'm') {
        this.pendingMake.get(id)?.(value);
        this.pendingMake.delete(id);
        this.refCount();
        continue;
      }
      const p = this.started.get(id);
      if (p === undefined) continue;
      if (kind === 'p') {
        p.pid = value;
        if (p.killed) killPid(value);
        p.forked();
      } else if (kind === 'x') p.exited(value);
    }
  }

  /** The helper holds the event loop only while a process runs (or a slot is being made). */
  private refCount(): void {
    const helper = this.helper;
    if (helper === undefined) return;
    const busy = this.started.size > 0 || this.pendingMake.size > 0;
    for (const h of [helper, helper.stdout as unknown as Socket | null, helper.stdin as unknown as Socket | null])
      if (h !== null) {
        if (busy) h.ref();
        else h.unref();
      }
  }
}

/**
 * Opens a FIFO for writing once its reader (ffmpeg's shell) has opened it: a non-blocking open
 * fails with ENXIO until then, so it is retried (every millisecond) until it succeeds or `stop()`.
 */
async function openWriter(path: string, stop: () => boolean): Promise<number | undefined> {
  for (;;) {
    if (stop()) return undefined;
    try {
      return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** The helper's `$?` of a process: its exit code, or 128 + the number of the signal that killed it. */
function exitOf(status: number): FfmpegExit {
  if (status <= 128) return { code: status, signal: null };
  const name = Object.entries(osConstants.signals).find(([, n]) => n === status - 128)?.[0];
  return { code: null, signal: name ?? `signal ${status - 128}` };
}

/** Opens and closes a writer of a FIFO whose read end this process holds (never blocks: a reader exists). */
function releaseReader(path: string): void {
  try {
    closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // our reader is already closed (ENXIO), or the folder is gone: nothing waits for an end of file
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function abortLike(): Error {
  return new DOMException('the ffmpeg launcher was closed', 'AbortError');
}

/** True where {@link ShellLauncher} can run: a POSIX system with `/bin/sh`. */
export function canUseShellLauncher(): boolean {
  return process.platform !== 'win32' && existsSync('/bin/sh');
}
