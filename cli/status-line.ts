/** Options of {@link StatusLine}. */
export interface StatusLineOptions {
  /** The terminal the line is drawn on. @default process.stderr */
  readonly stream?: NodeJS.WriteStream;
  /**
   * Streams whose writes print above the line: those of them that are TTYs (the same screen) are
   * routed while the line is shown. @default [process.stdout, process.stderr]
   */
  readonly above?: readonly NodeJS.WriteStream[];
}

/** Erases the cursor's row: carriage return, then erase to the end of the line (ECMA-48 EL 0). */
const ERASE_LINE = '\r\x1b[K';

const endsLine = (chunk: unknown): boolean => {
  if (typeof chunk === 'string') return chunk.endsWith('\n');
  if (chunk instanceof Uint8Array) return chunk.length > 0 && chunk[chunk.length - 1] === 0x0a;
  return false;
};

/**
 * The last row of a terminal, owned by a live display (the progress bar) while everything else
 * prints above it. While it is shown, every write to the TTY streams of `above` (the CLI's log
 * lines, warnings, a dependency's `console.log`) first erases the row, then goes out, then the row
 * is drawn again below it, so a log line never lands inside the bar and the bar never overwrites a
 * log line. A write that does not end a line (a partial line) is left alone: the row is drawn again
 * after the write that ends it. The row is cut to the terminal's width (`stream.columns`, read at
 * every draw, less one column so that no terminal wraps it), so a long detail cannot spill onto a
 * second row that the next draw would not erase; text is cut by code points (ndaflow's bar is
 * ASCII and one-column block characters).
 *
 * Writes are routed by replacing the streams' `write` while the line is shown; `stop()` puts them
 * back. One status line at a time: stop one before starting the next. The process's `exit` ends the
 * row with a newline if `stop()` was not called (a `process.exit` on a closed pipe or a second Ctrl-C).
 */
export class StatusLine {
  private readonly stream: NodeJS.WriteStream;
  /** The line's stream's own write, bound before any routing. */
  private readonly raw: (text: string) => boolean;
  /** The routed streams and their own `write` property before routing (none: the prototype's). */
  private readonly routed: { readonly stream: NodeJS.WriteStream; readonly own: PropertyDescriptor | undefined }[] = [];
  private text = '';
  /** Whether the row currently shows the text (and the cursor is on it). */
  private drawn = false;
  /** Whether the cursor is at the start of a row (false after a write that did not end its line). */
  private atLineStart = true;
  private stopped = false;
  private readonly onExit = () => this.stop(true);

  constructor(options: StatusLineOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    // bound now, before the stream's own write is routed
    const raw = this.stream.write.bind(this.stream);
    this.raw = (text) => raw(text);
    const above = options.above ?? [process.stdout, process.stderr];
    for (const s of new Set([this.stream, ...above])) {
      if (s.isTTY !== true) continue;
      this.routed.push({ stream: s, own: Object.getOwnPropertyDescriptor(s, 'write') });
      const write = s.write.bind(s) as (...args: unknown[]) => boolean;
      s.write = (...args: unknown[]): boolean => {
        this.erase();
        const flushed = write(...args);
        this.atLineStart = endsLine(args[0]);
        this.draw();
        return flushed;
      };
    }
    process.once('exit', this.onExit);
  }

  /** Shows `text` on the row (drawn now unless the cursor is within a partial line). */
  show(text: string): void {
    if (this.stopped) return;
    this.text = text;
    this.draw();
  }

  /** Leaves the row with its last text and a newline (`keep`), or erased; puts the streams' writes back. Idempotent. */
  stop(keep: boolean): void {
    if (this.stopped) return;
    if (keep) {
      this.draw();
      if (this.drawn) this.rawWrite('\n');
    } else this.erase();
    this.drawn = false;
    this.stopped = true;
    for (const { stream, own } of this.routed) {
      if (own !== undefined) Object.defineProperty(stream, 'write', own);
      else delete (stream as { write?: unknown }).write;
    }
    process.off('exit', this.onExit);
  }

  private draw(): void {
    if (this.stopped || !this.atLineStart || this.text === '') return;
    const width = Math.max(1, (this.stream.columns || 80) - 1);
    const chars = [...this.text];
    this.rawWrite(`${ERASE_LINE}${chars.length > width ? chars.slice(0, width).join('') : this.text}`);
    this.drawn = true;
  }

  private erase(): void {
    if (!this.drawn) return;
    this.rawWrite(ERASE_LINE);
    this.drawn = false;
  }

  private rawWrite(text: string): void {
    this.raw(text);
  }
}
