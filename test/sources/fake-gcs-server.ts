/**
 * A tiny stand-in for Google Cloud Storage's JSON API on 127.0.0.1, for the gs:// tests: exactly
 * what `@google-cloud/storage` 7 calls to read shards (object metadata, ranged media download with
 * `alt=media`, listing with `prefix` and page tokens), under `/storage/v1` or at the root (the SDK
 * uses `STORAGE_EMULATOR_HOST` as its base URL as given). No npm package implements the GCS API
 * as a server (the Go fake-gcs-server needs a Go toolchain, which this machine and CI lack; npm's
 * `mock-gcs` replaces the SDK in-process, so the SDK's own requests would go untested).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGcs {
  /** `http://127.0.0.1:PORT`, for `STORAGE_EMULATOR_HOST`. */
  readonly host: string;
  /** Every request: method, path and query, and its Range header. */
  readonly requests: { readonly url: string; readonly range?: string }[];
  /** Puts an object. */
  put(bucket: string, name: string, data: Buffer): void;
  /** Cuts the next media download of `name` after `bytes` bytes of body (the connection is destroyed). */
  cutNext(name: string, bytes: number): void;
  close(): void;
}

export async function startFakeGcs(pageSize = 2): Promise<FakeGcs> {
  const objects = new Map<string, Buffer>();
  const cuts = new Map<string, number>();
  const requests: { url: string; range?: string }[] = [];
  const json = (res: http.ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', range: req.headers.range });
    const u = new URL(req.url ?? '/', 'http://x');
    const path = u.pathname.replace(/^\/storage\/v1/, '');
    const one = /^\/b\/([^/]+)\/o\/(.+)$/.exec(path);
    const list = /^\/b\/([^/]+)\/o\/?$/.exec(path);
    if (req.method === 'GET' && one) {
      const [, bucket = '', encoded = ''] = one;
      const name = decodeURIComponent(encoded);
      const data = objects.get(`${bucket}/${name}`);
      if (!data) return json(res, 404, { error: { code: 404, message: `No such object: ${bucket}/${name}` } });
      if (u.searchParams.get('alt') !== 'media')
        return json(res, 200, { kind: 'storage#object', bucket, name, size: String(data.length), generation: '1' });
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      const end = range?.[2] ? Number(range[2]) + 1 : data.length;
      const body = data.subarray(start, end);
      res.writeHead(range ? 206 : 200, {
        'content-type': 'application/octet-stream',
        'content-length': body.length,
        ...(range ? { 'content-range': `bytes ${start}-${end - 1}/${data.length}` } : {}),
      });
      const cut = cuts.get(name);
      if (cut !== undefined) {
        cuts.delete(name);
        res.write(body.subarray(0, cut), () => setImmediate(() => res.socket?.destroy()));
        return;
      }
      res.end(body);
      return;
    }
    if (req.method === 'GET' && list) {
      const [, bucket = ''] = list;
      const prefix = u.searchParams.get('prefix') ?? '';
      const names = [...objects.keys()]
        .filter((k) => k.startsWith(`${bucket}/${prefix}`))
        .map((k) => k.slice(bucket.length + 1))
        .sort();
      const from = Number(u.searchParams.get('pageToken') ?? 0);
      const page = names.slice(from, from + pageSize);
      return json(res, 200, {
        kind: 'storage#objects',
        items: page.map((name) => ({
          kind: 'storage#object',
          bucket,
          name,
          size: String(objects.get(`${bucket}/${name}`)!.length),
        })),
        ...(from + pageSize < names.length ? { nextPageToken: String(from + pageSize) } : {}),
      });
    }
    json(res, 404, { error: { code: 404, message: `Not found: ${req.method} ${u.pathname}` } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    put: (bucket, name, data) => objects.set(`${bucket}/${name}`, data),
    cutNext: (name, bytes) => cuts.set(name, bytes),
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
