import xterm from '@xterm/headless';

/** A terminal screen rendered from a byte stream: its rows, and its lines with wrapped rows joined. */
export interface Screen {
  /** Every row of the screen (scrollback first), right-trimmed. */
  readonly rows: readonly string[];
  /** The logical lines: a row the terminal wrapped onto the next is joined with it. */
  readonly lines: readonly string[];
}

/**
 * Renders what a program wrote to a terminal (escape sequences and all) as an xterm would show it,
 * in a headless xterm.js of `cols` x `rows` with a scrollback that keeps every line. `convertEol`:
 * a newline also returns the carriage, as a pseudo-terminal's line discipline does (for bytes that
 * did not pass through one).
 */
export async function renderScreen(
  bytes: string | Uint8Array,
  options: { readonly cols?: number; readonly rows?: number; readonly convertEol?: boolean } = {},
): Promise<Screen> {
  const term = new xterm.Terminal({
    cols: options.cols ?? 80,
    rows: options.rows ?? 24,
    scrollback: 10_000,
    allowProposedApi: true,
    convertEol: options.convertEol ?? false,
  });
  await new Promise<void>((resolve) => term.write(bytes, resolve));
  const buffer = term.buffer.active;
  const all: string[] = [];
  const lines: string[] = [];
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y);
    if (line === undefined) continue;
    const text = line.translateToString(true);
    all.push(text);
    if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  term.dispose();
  while (all.length > 0 && all[all.length - 1] === '') all.pop();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return { rows: all, lines };
}
