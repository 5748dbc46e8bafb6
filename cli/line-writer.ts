/**
 * Writes lines to a stream (stdout) in chunks, waiting for `drain` when the reader is slower, and
 * stopping quietly when the reader went away (EPIPE: `ndaflow inspect --json ... | head`).
 */
export class LineWriter {
  private buffer: string[] = [];
  private size = 0;
  private broken = false;
  private readonly onError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') this.broken = true;
    else throw err;
  };

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    /** Characters buffered before a write. */
    private readonly chunk = 1 << 16,
  ) {
    stream.on('error', this.onError);
  }

  /** True once the reader has gone away: stop producing. */
  get closed(): boolean {
    return this.broken;
  }

  /** Adds one line (without its newline); writes when the buffer is full. */
  async line(text: string): Promise<void> {
    if (this.broken) return;
    this.buffer.push(text);
    this.size += text.length + 1;
    if (this.size >= this.chunk) await this.flush();
  }

  /** Writes what is buffered and waits until the stream takes more. */
  async flush(): Promise<void> {
    if (this.broken || this.buffer.length === 0) return;
    const text = `${this.buffer.join('\n')}\n`;
    this.buffer = [];
    this.size = 0;
    if (!this.stream.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.once('drain', done);
        this.stream.once('close', done);
        // an EPIPE arrives as an error event: resolve too
        this.stream.once('error', done);
      });
    }
  }

  /** Flushes and detaches. */
  async close(): Promise<void> {
    await this.flush();
    this.stream.off('error', this.onError);
  }
}
