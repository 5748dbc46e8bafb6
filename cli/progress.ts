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
  /** Without a TTY: also print the first update at once (a slow first training step shows life). @default false */
  readonly printFirst?: boolean;
  /** Show anything at all (`--no-progress` turns it off). @default true */
  readonly enabled?: boolean;
  /** Draw a live bar. @default whether `stream` is a TTY */
  readonly tty?: boolean;
}

/** A running progress display. */
export interface Progress {
  /**
   * Sets the count so far, with an optional detail shown after the rate (a trainer's losses). Cheap:
   * call it for every sample.
   */
  update(count: number, detail?: string): void;
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
          ? `ndaflow ${options.label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}{detail}`
          : `ndaflow ${options.label} | {value} ${unit} | {rate}/s | {duration_formatted}{detail}`,
        hideCursor: null,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(options.total ?? 0, 0, { rate: '0', detail: '' });
    let stopped = false;
    return {
      update(count, detail) {
        if (!stopped) bar.update(count, { rate: rate(count), detail: detail === undefined ? '' : ` | ${detail}` });
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
  let first = options.printFirst === true;
  return {
    update(count, detail) {
      if (stopped) return;
      const now = performance.now();
      if (now - last < interval && !first) return;
      first = false;
      last = now;
      const of = options.total !== undefined ? `/${options.total}` : '';
      const eta =
        options.total !== undefined && count > 0
          ? `, ETA ${formatSeconds(((now - started) / 1000 / count) * (options.total - count))}`
          : '';
      stream.write(
        `ndaflow: ${options.label} ${count}${of} ${unit}, ${rate(count)}/s${eta}${detail === undefined ? '' : `, ${detail}`}\n`,
      );
    },
    stop() {
      stopped = true;
    },
  };
}

/** `75` -> `1m15s`, `3700` -> `1h01m`. */
function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
