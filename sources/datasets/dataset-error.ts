/**
 * An error in a dataset's own files (an annotation list, a CSV, a missing video named by a list),
 * found while listing or writing a dataset. The message has the house form and names the file and
 * line: `Cannot read trainlist01.txt line 12 as the video it names must exist: current value is "..."`.
 */
export class DatasetError extends Error {
  override readonly name: string = 'DatasetError';
  /** The dataset file the error is about (an annotation file, a CSV, a video). */
  readonly file: string;
  /** The 1-based line of `file`, when the error is about one line. */
  readonly line: number | undefined;

  constructor(
    file: string,
    line: number | undefined,
    constraint: string,
    value: unknown,
    options: { cause?: unknown } = {},
  ) {
    const where = line === undefined ? file : `${file} line ${line}`;
    super(
      `Cannot read ${where} as ${constraint}: current value is ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
      options,
    );
    this.file = file;
    this.line = line;
  }
}
