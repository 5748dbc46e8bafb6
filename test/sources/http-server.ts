/** A local HTTP server for the shard tests (127.0.0.1, port 0), with scripted misbehaviour. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

/** What the server does with request number `n` (0-based, per path) of a file. */
export type Behaviour =
  'ok' | 'drop-half' | 'ignore-range' | 'drop-half-ignore-range' | 'stall' | 404 | 500 | 503 | 'redirect';

export interface ShardServer {
  /** Base URL, e.g. http://127.0.0.1:1234 */
  readonly base: string;
  /** Requests seen, per path, with their Range header. */
  readonly requests: Map<string, (string | undefined)[]>;
  /** Serves `data` at `path`; `script(n)` chooses the behaviour of the n-th request (default 'ok'). */
  serve(path: string, data: Buffer, script?: (n: number) => Behaviour): string;
}

/** Starts a server, closed after the test file. */
export async function startShardServer(): Promise<ShardServer> {
  const files = new Map<string, { data: Buffer; script: (n: number) => Behaviour }>();
  const requests = new Map<string, (string | undefined)[]>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const file = files.get(path);
    const seen = requests.get(path) ?? [];
    requests.set(path, seen);
    const n = seen.length;
    seen.push(req.headers.range);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const behaviour = file.script(n);
    if (typeof behaviour === 'number') {
      res.writeHead(behaviour).end(`status ${behaviour}`);
      return;
    }
    if (behaviour === 'redirect') {
      res.writeHead(302, { location: `${path}?redirected=${n}` }).end();
      return;
    }
    if (behaviour === 'stall') {
      res.writeHead(200, { 'content-length': file.data.length });
      return; // never sends a byte
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const honour = range && !behaviour.includes('ignore-range');
    const start = honour ? Number(range[1]) : 0;
    const body = file.data.subarray(start);
    res.writeHead(
      honour ? 206 : 200,
      honour
        ? {
            'content-length': body.length,
            'content-range': `bytes ${start}-${file.data.length - 1}/${file.data.length}`,
          }
        : { 'content-length': body.length },
    );
    if (behaviour.startsWith('drop-half')) {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => setImmediate(() => res.socket?.destroy()));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return {
    base,
    requests,
    serve(path, data, script = () => 'ok') {
      files.set(path, { data, script });
      return `${base}${path}`;
    },
  };
}
