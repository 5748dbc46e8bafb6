import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { ShardError } from './errors.js';

/** Retry behaviour of HTTP shard reads. */
export interface HttpOptions {
  /** Attempts after a failure (dropped connection, 5xx, timeout) before giving up. @default 3 */
  readonly retries?: number;
  /** Socket idle timeout in ms. @default 30000 */
  readonly timeoutMs?: number;
  /** Wait before retry k is `backoffMs * 2^k` ms. @default 200 */
  readonly backoffMs?: number;
}

const RETRIABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * A byte stream of an `http(s)://` shard that survives dropped connections: after a drop it asks
 * for the rest with a `Range` request, or, when the server ignores ranges, re-reads from the start
 * and skips what it already yielded. 404 and other client errors fail at once; 5xx and drops are
 * retried `retries` times. Errors are {@link ShardError}s naming the URL.
 */
export function httpShardStream(url: string, options: HttpOptions = {}): Readable {
  const retries = options.retries ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const backoffMs = options.backoffMs ?? 200;
  let delivered = 0;
  let total: number | undefined;
  let attempt = 0;
  let request: http.ClientRequest | undefined;
  let response: http.IncomingMessage | undefined;
  let skip = 0;
  let timer: NodeJS.Timeout | undefined;

  const out = new Readable({
    highWaterMark: 1 << 20,
    read() {
      response?.resume();
    },
    destroy(err, cb) {
      if (timer) clearTimeout(timer);
      response?.destroy();
      request?.destroy();
      cb(err);
    },
  });

  const fail = (reason: string, message: string, cause?: unknown) => out.destroy(new ShardError(reason, message, { url }, cause));

  const retryOrFail = (message: string, cause?: unknown) => {
    if (out.destroyed) return;
    if (attempt >= retries) {
      fail('shard-http', `Cannot read shard over HTTP after ${attempt + 1} attempt(s): ${message}`, cause);
      return;
    }
    attempt++;
    timer = setTimeout(open, backoffMs * 2 ** (attempt - 1));
  };

  function open(): void {
    if (out.destroyed) return;
    const client = url.startsWith('https:') ? https : http;
    const headers: Record<string, string> = delivered > 0 ? { Range: `bytes=${delivered}-` } : {};
    skip = 0;
    request = client.get(url, { headers, timeout: timeoutMs }, (res) => {
      response = res;
      const status = res.statusCode ?? 0;
      if (status === 206 && delivered > 0) {
        skip = 0;
      } else if (status === 200) {
        skip = delivered; // server ignored the range: re-read and skip what was already yielded
        const len = Number(res.headers['content-length']);
        if (Number.isFinite(len)) total = len;
      } else {
        res.resume();
        if (RETRIABLE_STATUS.has(status)) retryOrFail(`HTTP ${status}`);
        else fail('shard-http', `Cannot read shard as the server answered HTTP ${status}`);
        return;
      }
      res.on('data', (chunk: Buffer) => {
        let c = chunk;
        if (skip > 0) {
          if (c.length <= skip) {
            skip -= c.length;
            return;
          }
          c = c.subarray(skip);
          skip = 0;
        }
        delivered += c.length;
        if (!out.push(c)) res.pause();
      });
      res.on('end', () => {
        if (total !== undefined && delivered < total) retryOrFail(`connection closed after ${delivered} of ${total} bytes`);
        else out.push(null);
      });
      res.on('aborted', () => retryOrFail(`connection dropped after ${delivered} bytes`));
      res.on('error', (err) => retryOrFail(`connection error after ${delivered} bytes`, err));
    });
    request.on('timeout', () => request?.destroy(new Error(`no data for ${timeoutMs} ms`)));
    request.on('error', (err) => {
      if (response && !response.complete) return; // the response's own handlers retry
      retryOrFail(err.message, err);
    });
  }

  open();
  return out;
}
