import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { resumableStream, type ResumeAttempt } from './resumable-stream.js';

/** Retry behaviour of HTTP shard reads. */
export interface HttpOptions {
  /**
   * Attempts after a failure (dropped connection, 5xx, timeout) before giving up. The count starts
   * again after an attempt that delivered bytes, so a long shard survives any number of drops as
   * long as each reconnection makes progress. @default 3
   */
  readonly retries?: number;
  /** Socket idle timeout in ms (not counted while the consumer holds the stream paused). @default 30000 */
  readonly timeoutMs?: number;
  /** Wait before retry k (1-based) is `backoffMs * 2^(k-1)` ms. @default 200 */
  readonly backoffMs?: number;
}

const RETRIABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * A byte stream of an `http(s)://` shard that survives dropped connections: after a drop it asks
 * for the rest with a `Range` request, or, when the server ignores ranges (answers 200), re-reads
 * from the start and skips what it already delivered, so the bytes out are exactly the file's,
 * once each. Redirects are followed (up to 5). 404 and other client errors fail at once (reason
 * `shard-open`); 5xx, timeouts and drops are retried `retries` times, then fail (reason
 * `shard-http`). Errors are {@link ShardError}s naming the URL. Reads only while the consumer reads
 * (the response is paused when the stream's buffer is full); destroying the stream aborts the request.
 */
export function httpShardStream(url: string, options: HttpOptions = {}): Readable {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let location = url;
  let redirects = 0;
  return resumableStream({
    url,
    via: 'over HTTP',
    retries: options.retries ?? 3,
    backoffMs: options.backoffMs ?? 200,
    open: function attempt(a: ResumeAttempt): void {
      const client = location.startsWith('https:') ? https : http;
      const headers: Record<string, string> = a.from > 0 ? { Range: `bytes=${a.from}-` } : {};
      const req = client.get(location, { headers, timeout: timeoutMs }, (res) => {
        a.onRelease(() => res.destroy());
        const status = res.statusCode ?? 0;
        if (REDIRECT_STATUS.has(status) && res.headers.location) {
          res.resume();
          req.removeAllListeners('error').on('error', () => undefined); // this request is done with
          if (++redirects > MAX_REDIRECTS) {
            a.fail('shard-open', `Cannot open shard as the server redirected more than ${MAX_REDIRECTS} times`);
            return;
          }
          location = new URL(res.headers.location, location).href;
          attempt(a);
          return;
        }
        const watch = {
          paused: () => res.socket?.setTimeout(0), // a paused consumer is not an idle server
          resumed: () => res.socket?.setTimeout(timeoutMs),
          complete: () => res.complete,
        };
        if (status === 206 && a.from > 0) {
          const range = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(String(res.headers['content-range'] ?? ''));
          const total = range && range[3] !== '*' ? Number(range[3]) : undefined;
          a.deliver(res, range ? Number(range[1]) : a.from, total, watch);
        } else if (status === 200) {
          // a server that ignores the range re-sends from byte 0: deliver skips what was already delivered
          const len = Number(res.headers['content-length']);
          const known = res.headers['content-length'] !== undefined && Number.isFinite(len);
          a.deliver(res, 0, known ? len : undefined, watch);
        } else if (status === 416 && a.from > 0 && a.total !== undefined && a.from >= a.total) {
          res.resume();
          a.end();
        } else {
          res.resume();
          if (RETRIABLE_STATUS.has(status)) a.retry(`HTTP ${status}`);
          else a.fail('shard-open', `Cannot open shard as the server answered HTTP ${status}`);
        }
      });
      a.onRelease(() => req.destroy());
      req.on('timeout', () => req.destroy(new Error(`no data for ${timeoutMs} ms`)));
      req.on('error', (err) => a.retry(err.message, err));
    },
  });
}
