import { Readable } from 'node:stream';
import { ShardError } from './errors.js';

/** How a body handed to {@link ResumeAttempt.deliver} is watched. */
export interface BodyWatch {
  /** Called when the body is paused because the consumer's buffer is full. */
  readonly paused?: () => void;
  /** Called when the consumer asks for more and the body is resumed. */
  readonly resumed?: () => void;
  /** False when the transport says the body ended early (an HTTP message that is not complete). */
  readonly complete?: () => boolean;
  /** Drop the attempt when the body sends nothing for this long while flowing (ms). @default none */
  readonly idleMs?: number;
}

/** One attempt of a {@link resumableStream}: the opener reports back through it. */
export interface ResumeAttempt {
  /** The bytes delivered so far: the attempt asks for the object from here (a ranged read). */
  readonly from: number;
  /** The object's size once a response said it. */
  readonly total: number | undefined;
  /** True once this attempt ended (finished, dropped, failed) or the stream was destroyed: stop. */
  readonly settled: boolean;
  /** What to release when the attempt ends or the stream is destroyed (abort the request, destroy the body). */
  onRelease(release: () => void): void;
  /**
   * Streams `body`, which holds the object from byte `start` (`start` may be before {@link from}:
   * what was already delivered is skipped; after it, the attempt is retried); `total` is the
   * object's size if the response said it.
   */
  deliver(body: Readable, start: number, total: number | undefined, watch?: BodyWatch): void;
  /** A failure a retry may fix (drop, 5xx, timeout): retry after the backoff, or fail with `shard-http`. */
  retry(message: string, cause?: unknown): void;
  /** A failure no retry fixes: the stream fails with a {@link ShardError} of this reason. */
  fail(reason: string, message: string, cause?: unknown): void;
  /** Fails the stream with this error as it is (an error the opener already shaped). */
  failWith(error: Error): void;
  /** The object has nothing more to give (every byte delivered): the stream ends. */
  end(): void;
}

/** What {@link resumableStream} needs: the URL (for errors), the retry policy and one way to open an attempt. */
export interface ResumableOptions {
  /** The shard's URL, carried by every error. */
  readonly url: string;
  /** Where the bytes come from, for the give-up message: `over HTTP`, `from the object store`. */
  readonly via: string;
  /** Attempts in a row without progress before giving up. */
  readonly retries: number;
  /** Wait before retry k (1-based) is `backoffMs * 2^(k-1)` ms. */
  readonly backoffMs: number;
  /** Starts one attempt; called again (with a larger `from`) after each retriable failure. */
  readonly open: (attempt: ResumeAttempt) => void;
}

/**
 * The ranged-resume loop shared by the HTTP and object store shard streams: a `Readable` of an
 * object's bytes, exactly once each, fed by attempts that each read from the bytes already
 * delivered (skipping what a response repeats), pushing only while the consumer has room (the body
 * is paused on backpressure and resumed on demand). Each failed attempt is retried after a backoff;
 * the count of retries starts again after an attempt that delivered bytes, so a long object
 * survives any number of drops as long as each makes progress. Destroying the stream releases the
 * current attempt. The stream emits `size` once, with the object's size in bytes (or `undefined`
 * when the first response did not say it), before its first byte: the shard cache decides there.
 */
export function resumableStream(options: ResumableOptions): Readable {
  const { url, via, retries, backoffMs, open } = options;
  let delivered = 0;
  let total: number | undefined;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let release: (() => void)[] = [];
  let resume: (() => void) | undefined;
  let sized = false;

  const releaseAll = () => {
    const r = release;
    release = [];
    resume = undefined;
    for (const f of r) f();
  };
  const out = new Readable({
    highWaterMark: 1 << 20,
    read() {
      resume?.();
    },
    destroy(err, cb) {
      if (timer) clearTimeout(timer);
      releaseAll();
      cb(err);
    },
  });
  const fail = (error: Error) => {
    if (!out.destroyed) out.destroy(error);
  };

  function attempt(): void {
    if (out.destroyed) return;
    const startedAt = delivered;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      releaseAll();
      return !out.destroyed;
    };
    const a: ResumeAttempt = {
      from: delivered,
      get total() {
        return total;
      },
      get settled() {
        return settled || out.destroyed;
      },
      onRelease(f) {
        if (settled || out.destroyed) f();
        else release.push(f);
      },
      retry(message, cause) {
        if (!settle()) return;
        if (total !== undefined && delivered >= total) {
          out.push(null);
          return;
        }
        if (delivered > startedAt) failures = 0; // progress: a fresh set of retries
        if (failures >= retries) {
          fail(
            new ShardError(
              'shard-http',
              `Cannot read shard ${via} as it failed ${failures + 1} time(s) in a row, last: ${message}`,
              { url },
              cause,
            ),
          );
          return;
        }
        failures++;
        timer = setTimeout(attempt, backoffMs * 2 ** (failures - 1));
      },
      fail(reason, message, cause) {
        if (settle()) fail(new ShardError(reason, message, { url }, cause));
      },
      failWith(error) {
        if (settle()) fail(error);
      },
      end() {
        if (settle()) out.push(null);
      },
      deliver(body, start, size, watch = {}) {
        if (settled || out.destroyed) {
          body.destroy();
          return;
        }
        release.push(() => body.destroy());
        if (size !== undefined) total = size;
        if (!sized) {
          sized = true;
          out.emit('size', size);
        }
        if (start > delivered) {
          a.retry(`the server resumed at byte ${start}, after the ${delivered} bytes delivered`);
          return;
        }
        let skip = delivered - start;
        let idle: NodeJS.Timeout | undefined;
        const arm = () => {
          if (watch.idleMs === undefined) return;
          if (idle) clearTimeout(idle);
          idle = setTimeout(() => a.retry(`no data for ${watch.idleMs} ms`), watch.idleMs);
        };
        release.push(() => idle && clearTimeout(idle));
        resume = () => {
          if (!body.isPaused()) return;
          watch.resumed?.();
          arm();
          body.resume();
        };
        arm();
        body.on('data', (chunk: Buffer) => {
          if (settled) return;
          arm();
          let b = chunk;
          if (skip > 0) {
            if (b.length <= skip) {
              skip -= b.length;
              return;
            }
            b = b.subarray(skip);
            skip = 0;
          }
          delivered += b.length;
          if (!out.push(b)) {
            body.pause();
            if (idle) clearTimeout(idle); // a paused consumer is not an idle server
            watch.paused?.();
          }
        });
        const of = () => `${delivered}${total === undefined ? '' : ` of ${total}`} bytes`;
        body.on('end', () => {
          if (settled) return;
          if (watch.complete && !watch.complete()) a.retry(`connection closed after ${of()}`);
          else if (total !== undefined && delivered < total) a.retry(`connection closed after ${of()}`);
          else a.end();
        });
        body.on('error', (err) => a.retry(`connection error after ${of()}`, err));
        body.on('close', () => a.retry(`connection closed after ${of()}`));
      },
    };
    open(a);
  }

  attempt();
  return out;
}
