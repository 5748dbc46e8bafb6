import cliProgress from 'cli-progress';

/** Options of {@link startProgress}. */
export interface ProgressOptions {
  /** What is being done (`prepare fashion-mnist`, `inspect`, `run default`). */
  readonly label: string;
  /** The count at the end, when known (draws a bar and an ETA). @default unknown */
  readonly total?: number;
  /** What is counted. @default 'samples' */
  readonly unit?: string;
  /** Where progress goes. @default process.stderr */
  readonly stream?: NodeJS.WriteStream;
  /** Without a TTY: a plain line at most this often (milliseconds). @default 5000 */
  readonly intervalMs?: number;
  /** Show anything at all (`--no-progress` turns it off). @default true */
  readonly enabled?: boolean;
  /** Draw a live bar. @default whether `stream` is a TTY */
  readonly tty?: boolean;
}

/** A running progress display. */
export interface Progress {
  /** Sets the count so far. Cheap: call it for every sample. */
  update(count: number): void;
  /** Ends the display (a live bar is left on its last state). Idempotent. */
  stop(): void;
}

const fmtRate = (n: number): string => (n >= 100 ? String(Math.round(n)) : n.toFixed(1));

/**
 * Shows progress on stderr: a live `cli-progress` bar with the rate per second when stderr is a
 * TTY, otherwise a plain line (`ndaflow: inspect 12000 samples, 8100/s`) at most every
 * `intervalMs`, so logs of long runs show life without flooding. Plain lines are written only from
 * {@link Progress.update} (no timer keeps the process alive).
 */
export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const unit = options.unit ?? 'samples';
  if (options.enabled === false) return { update: () => undefined, stop: () => undefined };
  const started = performance.now();
  const rate = (count: number): string => fmtRate(count / Math.max((performance.now() - started) / 1000, 1e-3));
  if (options.tty ?? stream.isTTY === true) {
    const known = options.total !== undefined;
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: known
          ? `ndaflow ${options.label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`
          : `ndaflow ${options.label} | {value} ${unit} | {rate}/s | {duration_formatted}`,
        hideCursor: null,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(options.total ?? 0, 0, { rate: '0' });
    let stopped = false;
    return {
      update(count) {
        if (!stopped) bar.update(count, { rate: rate(count) });
      },
      stop() {
        if (stopped) return;
        stopped = true;
        bar.stop();
      },
    };
  }
  const interval = options.intervalMs ?? 5000;
  let last = started;
  let stopped = false;
  return {
    update(count) {
      if (stopped) return;
      const now = performance.now();
      if (now - last < interval) return;
      last = now;
      const of = options.total !== undefined ? `/${options.total}` : '';
      stream.write(`ndaflow: ${options.label} ${count}${of} ${unit}, ${rate(count)}/s\n`);
    },
    stop() {
      stopped = true;
    },
  };
}
