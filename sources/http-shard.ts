import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { ShardError } from './errors.js';

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
  const retries = options.retries ?? 3;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const backoffMs = options.backoffMs ?? 200;
  let location = url;
  let redirects = 0;
  let delivered = 0;
  let total: number | undefined;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let current: { req: http.ClientRequest; res?: http.IncomingMessage } | undefined;

  const out = new Readable({
    highWaterMark: 1 << 20,
    read() {
      const res = current?.res;
      if (res?.isPaused()) {
        res.socket?.setTimeout(timeoutMs);
        res.resume();
      }
    },
    destroy(err, cb) {
      if (timer) clearTimeout(timer);
      const c = current;
      current = undefined;
      c?.res?.destroy();
      c?.req.destroy();
      cb(err);
    },
  });

  const fail = (reason: string, message: string, cause?: unknown) => {
    if (!out.destroyed) out.destroy(new ShardError(reason, message, { url }, cause));
  };

  function attempt(): void {
    if (out.destroyed) return;
    const startedAt = delivered;
    let settled = false;
    let skip = 0;
    let response: http.IncomingMessage | undefined;
    /** This attempt failed: retry (with a Range request) or give up. */
    const drop = (message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      req.destroy();
      response?.destroy();
      if (out.destroyed) return;
      if (total !== undefined && delivered >= total) {
        out.push(null);
        return;
      }
      if (delivered > startedAt) failures = 0; // progress: a fresh set of retries
      if (failures >= retries) {
        fail(
          'shard-http',
          `Cannot read shard over HTTP as it failed ${failures + 1} time(s) in a row, last: ${message}`,
          cause,
        );
        return;
      }
      failures++;
      timer = setTimeout(attempt, backoffMs * 2 ** (failures - 1));
    };
    const client = location.startsWith('https:') ? https : http;
    const headers: Record<string, string> = delivered > 0 ? { Range: `bytes=${delivered}-` } : {};
    const req = client.get(location, { headers, timeout: timeoutMs }, (res) => {
      response = res;
      if (current) current.res = res;
      const status = res.statusCode ?? 0;
      if (REDIRECT_STATUS.has(status) && res.headers.location) {
        settled = true;
        res.resume();
        if (++redirects > MAX_REDIRECTS) {
          fail('shard-open', `Cannot open shard as the server redirected more than ${MAX_REDIRECTS} times`);
          return;
        }
        location = new URL(res.headers.location, location).href;
        attempt();
        return;
      }
      if (status === 206 && delivered > 0) {
        const range = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(String(res.headers['content-range'] ?? ''));
        const start = range ? Number(range[1]) : delivered;
        if (range && range[3] !== '*') total = Number(range[3]);
        if (start > delivered) {
          drop(`the server resumed at byte ${start}, after the ${delivered} bytes delivered`);
          return;
        }
        skip = delivered - start;
      } else if (status === 200) {
        skip = delivered; // the server ignored the range: re-read and skip what was already delivered
        const len = Number(res.headers['content-length']);
        if (res.headers['content-length'] !== undefined && Number.isFinite(len)) total = len;
      } else if (status === 416 && delivered > 0 && total !== undefined && delivered >= total) {
        settled = true;
        res.resume();
        out.push(null);
        return;
      } else {
        res.resume();
        if (RETRIABLE_STATUS.has(status)) drop(`HTTP ${status}`);
        else {
          settled = true;
          fail('shard-open', `Cannot open shard as the server answered HTTP ${status}`);
        }
        return;
      }
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
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
        if (!out.push(c)) {
          res.pause();
          res.socket?.setTimeout(0); // a paused consumer is not an idle server
        }
      });
      res.on('end', () => {
        if (settled) return;
        if (!res.complete) drop(`connection closed after ${delivered} bytes`);
        else if (total !== undefined && delivered < total)
          drop(`connection closed after ${delivered} of ${total} bytes`);
        else {
          settled = true;
          out.push(null);
        }
      });
      res.on('error', (err) => drop(`connection error after ${delivered} bytes`, err));
      res.on('close', () => drop(`connection closed after ${delivered} bytes`));
    });
    current = { req };
    req.on('timeout', () => req.destroy(new Error(`no data for ${timeoutMs} ms`)));
    req.on('error', (err) => drop(err.message, err));
  }

  attempt();
  return out;
}
