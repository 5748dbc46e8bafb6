import { StatusLine } from './status-line.js';

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
  /** Streams whose writes print above the live bar (see {@link StatusLine}). @default [process.stdout, process.stderr] */
  readonly above?: readonly NodeJS.WriteStream[];
}

/** A running progress display. */
export interface Progress {
  /**
   * Sets the count so far, with an optional detail shown after the rate (a trainer's losses). Cheap:
   * call it for every sample.
   */
  update(count: number, detail?: string): void;
  /** Ends the display (a live bar is left on its last state, on its own row). Idempotent. */
  stop(): void;
}

const fmtRate = (n: number): string => (n >= 100 ? String(Math.round(n)) : n.toFixed(1));

/** Redraws of the bar at most this often on updates (a ticker redraws the clock every second). */
const DRAW_MS = 100;
/** Width of the bar's `[███░░░]` part where the terminal has room. */
const BAR_WIDTH = 40;

/**
 * Shows progress on stderr: when stderr is a TTY, a live bar on the terminal's last row (a
 * {@link StatusLine}: log lines and warnings written meanwhile print above it, and it is cut to the
 * terminal's width), with the rate per second; otherwise a plain line (`ndaflow: inspect 12000
 * samples, 8100/s`) at most every `intervalMs`, so logs of long runs show life without flooding.
 * Plain lines are written only from {@link Progress.update} (no timer keeps the process alive; the
 * bar's clock ticks on an unref'd timer).
 */
export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const unit = options.unit ?? 'samples';
  if (options.enabled === false) return { update: () => undefined, stop: () => undefined };
  const started = performance.now();
  const rate = (count: number): string => fmtRate(count / Math.max((performance.now() - started) / 1000, 1e-3));
  if (options.tty ?? stream.isTTY === true) {
    const total = options.total;
    const line = new StatusLine({ stream, ...(options.above !== undefined ? { above: options.above } : {}) });
    let count = 0;
    let detail = '';
    let lastDraw = -Infinity;
    const render = (): string => {
      const now = performance.now();
      const shown = `${rate(count)}/s`;
      const tail = detail === '' ? '' : ` | ${detail}`;
      if (total === undefined)
        return `ndaflow ${options.label} | ${count} ${unit} | ${shown} | ${formatSeconds((now - started) / 1000)}${tail}`;
      const fraction = total > 0 ? Math.min(1, count / total) : 0;
      const eta = count > 0 ? formatSeconds(((now - started) / 1000 / count) * Math.max(0, total - count)) : '-';
      const rest = `] ${Math.floor(fraction * 100)}% | ${count}/${total} ${unit} | ${shown} | ETA ${eta}${tail}`;
      const head = `ndaflow ${options.label} [`;
      const room = (stream.columns || 80) - 1 - head.length - rest.length;
      const width = Math.max(10, Math.min(BAR_WIDTH, room));
      const done = Math.round(fraction * width);
      return `${head}${'\u2588'.repeat(done)}${'\u2591'.repeat(width - done)}${rest}`;
    };
    const draw = () => {
      lastDraw = performance.now();
      line.show(render());
    };
    draw();
    const ticker = setInterval(draw, 1000);
    ticker.unref();
    let stopped = false;
    return {
      update(n, d) {
        if (stopped) return;
        count = n;
        detail = d ?? '';
        if (performance.now() - lastDraw >= DRAW_MS) draw();
      },
      stop() {
        if (stopped) return;
        stopped = true;
        clearInterval(ticker);
        line.show(render());
        line.stop(true);
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
