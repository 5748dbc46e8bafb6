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
  /** The clock, in milliseconds (tests pass their own). @default performance.now */
  readonly now?: () => number;
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

/** A rate is shown once the updates it is measured over span this long (no spike from two close updates). */
const RATE_WINDOW_MS = 1000;

/**
 * The rate of the progress made by this process: from the first update (its count and time are the
 * baseline, so a run resumed at step 20 counts from there, and the time spent before the first update
 * (start-up, a first step's compilation) is not counted) to the latest, once they span
 * {@link RATE_WINDOW_MS}. Undefined before that: no rate is better than a wrong one.
 */
class RateMeter {
  private first: { readonly count: number; readonly at: number } | undefined;
  private last: { readonly count: number; readonly at: number } | undefined;

  observe(count: number, at: number): void {
    if (this.first === undefined) this.first = { count, at };
    this.last = { count, at };
  }

  /** Units per second, or undefined while unknown. */
  perSecond(): number | undefined {
    if (this.first === undefined || this.last === undefined) return undefined;
    const ms = this.last.at - this.first.at;
    if (ms < RATE_WINDOW_MS) return undefined;
    return ((this.last.count - this.first.count) / ms) * 1000;
  }

  /** Seconds left to `total` at the current rate, or undefined. */
  secondsLeft(total: number): number | undefined {
    const rate = this.perSecond();
    if (rate === undefined || rate <= 0 || this.last === undefined) return undefined;
    return Math.max(0, total - this.last.count) / rate;
  }
}

/** Redraws of the bar at most this often on updates (a ticker redraws the clock every second). */
const DRAW_MS = 100;
/** Width of the bar's `[███░░░]` part where the terminal has room. */
const BAR_WIDTH = 40;

/**
 * Shows progress on stderr: when stderr is a TTY, a live bar on the terminal's last row (a
 * {@link StatusLine}: log lines and warnings written meanwhile print above it, and it is cut to the
 * terminal's width), with the rate per second; otherwise a plain line (`ndaflow: inspect 12000
 * samples, 8100/s`) at most every `intervalMs`, so logs of long runs show life without flooding.
 * The rate and the ETA count only the progress made in this process since its first update (a
 * resumed run's steps before the resume are not counted) and appear once a second of updates has
 * been measured (`-/s` before; a plain line leaves them out).
 * Plain lines are written only from {@link Progress.update} (no timer keeps the process alive; the
 * bar's clock ticks on an unref'd timer).
 */
export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const unit = options.unit ?? 'samples';
  if (options.enabled === false) return { update: () => undefined, stop: () => undefined };
  const now = options.now ?? (() => performance.now());
  const started = now();
  const meter = new RateMeter();
  const rate = (): string | undefined => {
    const r = meter.perSecond();
    return r === undefined ? undefined : `${fmtRate(r)}/s`;
  };
  const eta = (total: number): string | undefined => {
    const left = meter.secondsLeft(total);
    return left === undefined ? undefined : formatSeconds(left);
  };
  if (options.tty ?? stream.isTTY === true) {
    const total = options.total;
    const line = new StatusLine({ stream, ...(options.above !== undefined ? { above: options.above } : {}) });
    let count = 0;
    let detail = '';
    let lastDraw = -Infinity;
    const render = (): string => {
      const shown = rate() ?? '-/s';
      const tail = detail === '' ? '' : ` | ${detail}`;
      if (total === undefined)
        return `ndaflow ${options.label} | ${count} ${unit} | ${shown} | ${formatSeconds((now() - started) / 1000)}${tail}`;
      const fraction = total > 0 ? Math.min(1, count / total) : 0;
      const rest = `] ${Math.floor(fraction * 100)}% | ${count}/${total} ${unit} | ${shown} | ETA ${count >= total ? '0s' : (eta(total) ?? '-')}${tail}`;
      const head = `ndaflow ${options.label} [`;
      const room = (stream.columns || 80) - 1 - head.length - rest.length;
      const width = Math.max(10, Math.min(BAR_WIDTH, room));
      const done = Math.round(fraction * width);
      return `${head}${'\u2588'.repeat(done)}${'\u2591'.repeat(width - done)}${rest}`;
    };
    const draw = () => {
      lastDraw = now();
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
        const at = now();
        meter.observe(n, at);
        if (at - lastDraw >= DRAW_MS) draw();
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
      const at = now();
      meter.observe(count, at);
      if (at - last < interval && !first) return;
      first = false;
      last = at;
      const of = options.total !== undefined ? `/${options.total}` : '';
      const shown = rate();
      const left = options.total !== undefined ? eta(options.total) : undefined;
      stream.write(
        `ndaflow: ${options.label} ${count}${of} ${unit}${shown !== undefined ? `, ${shown}` : ''}${left !== undefined ? `, ETA ${left}` : ''}${detail === undefined ? '' : `, ${detail}`}\n`,
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
