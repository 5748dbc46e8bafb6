import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { openShard } from '../../sources/open-shard.js';
import { cachedShardStream, shardCacheName, type ShardCacheEvent } from '../../sources/shard-cache.js';
import { httpShardStream } from '../../sources/http-shard.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeShards } from './fixtures.js';

const CHILD = fileURLToPath(new URL('../fixtures/shard-cache-child.js', import.meta.url));
const dir = tempDir();
const { paths, keys } = await writeShards(dir, 4, 30, { binBytes: 3000, prefix: 'remote' }); // ~100 KB each
const shards = paths.map((p) => readFileSync(p));
const SIZE = shards[0]!.length;

/**
 * A local HTTP server that counts GET requests per path; `hold(path)` makes the next request send
 * its headers and half the bytes, then wait until the returned release is called.
 */
async function startServer(): Promise<{
  url: (path: string) => string;
  requests: (path: string) => number;
  hold: (path: string) => () => void;
}> {
  const files = new Map<string, Buffer>();
  shards.forEach((s, i) => files.set(`/remote-00${i}.tar`, s));
  const counts = new Map<string, number>();
  const holds = new Map<string, Promise<void>>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const data = files.get(path.replace(/^\/\w+(?=\/)/, ''));
    if (!data) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const body = data.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'content-length': body.length,
      ...(range ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    const held = holds.get(path);
    if (held === undefined) {
      res.end(body);
      return;
    }
    holds.delete(path);
    res.write(body.subarray(0, body.length >> 1));
    void held.then(() => res.end(body.subarray(body.length >> 1)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path) => `${base}${path}`,
    requests: (path) => counts.get(path) ?? 0,
    hold(path) {
      let release = () => undefined as void;
      holds.set(path, new Promise<void>((r) => (release = r)));
      return () => release();
    },
  };
}

const server = await startServer();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function read(url: string, cacheDir: string, limit: number, events: ShardCacheEvent[] = []): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = openShard(url, { cacheDir, cacheLimit: limit, onCacheEvent: (e) => events.push(e) });
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A child reading `url` through the cache; `lines` fills with its JSON lines as they come. */
function child(
  url: string,
  cacheDir: string,
  limit: number,
): { p: ChildProcess; lines: Record<string, unknown>[]; exit: Promise<number | null> } {
  const p = spawn(process.execPath, [CHILD, url, cacheDir, String(limit)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Record<string, unknown>[] = [];
  let text = '';
  p.stdout.on('data', (d: Buffer) => {
    text += d.toString();
    const parts = text.split('\n');
    text = parts.pop() ?? '';
    for (const l of parts) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { p, lines, exit: new Promise((r) => p.on('exit', (c) => r(c))) };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), `timed out waiting for ${what}`);
}

describe('cachedShardStream', () => {
  it('keeps remote shards under the limit, evicting the least recently used', async () => {
    const cache = join(dir, 'lru');
    const events: ShardCacheEvent[] = [];
    const u = [0, 1, 2].map((i) => server.url(`/lru/remote-00${i}.tar`));
    const limit = Math.floor(SIZE * 2.5); // two shards fit, not three
    assert.ok((await read(u[0]!, cache, limit, events)).equals(shards[0]!));
    assert.ok((await read(u[1]!, cache, limit, events)).equals(shards[1]!));
    assert.ok((await read(u[0]!, cache, limit, events)).equals(shards[0]!)); // a hit: 0 is now more recent than 1
    assert.ok((await read(u[2]!, cache, limit, events)).equals(shards[2]!)); // evicts 1
    assert.deepEqual(readdirSync(cache).sort(), [shardCacheName(u[0]!), shardCacheName(u[2]!)].sort());
    assert.deepEqual(
      events.filter((e) => e.kind === 'evict').map((e) => e.path),
      [join(cache, shardCacheName(u[1]!))],
    );
    assert.deepEqual(
      u.map((x) => server.requests(new URL(x).pathname)),
      [1, 1, 1],
    );
    assert.deepEqual(
      events.map((e) => e.kind),
      ['download', 'stored', 'download', 'stored', 'hit', 'evict', 'download', 'stored'],
    );
    await read(u[1]!, cache, limit, events); // 0 is now the least recently used
    assert.deepEqual(readdirSync(cache).sort(), [shardCacheName(u[1]!), shardCacheName(u[2]!)].sort());
  });

  it('two processes reading the same shard at once download it once', async () => {
    const cache = join(dir, 'two');
    const path = '/two/remote-001.tar';
    const release = server.hold(path); // the first request stops halfway until both processes are reading
    const a = child(server.url(path), cache, SIZE * 4);
    const b = child(server.url(path), cache, SIZE * 4);
    await until('one process to follow the other', () => [...a.lines, ...b.lines].some((l) => l.kind === 'wait'));
    release();
    assert.deepEqual(await Promise.all([a.exit, b.exit]), [0, 0]);
    for (const c of [a, b]) assert.deepEqual(c.lines.at(-1), { done: sha(shards[1]!), bytes: SIZE });
    const kinds = [...a.lines, ...b.lines].map((l) => l.kind).filter(Boolean);
    assert.deepEqual(kinds.sort(), ['download', 'stored', 'wait']);
    assert.equal(server.requests(path), 1);
    assert.deepEqual(readdirSync(cache), [shardCacheName(server.url(path))]);
  });

  it('a killed download leaves no complete-looking file, and the next reader recovers', async () => {
    const cache = join(dir, 'killed');
    const path = '/killed/remote-002.tar';
    const name = shardCacheName(server.url(path));
    const release = server.hold(path);
    const a = child(server.url(path), cache, SIZE * 4);
    await until('the download to start', () => a.lines.some((l) => l.kind === 'download'));
    await until('half the shard on disk', () =>
      readdirSync(cache).some((f) => f.endsWith('.partial') && readFileSync(join(cache, f)).length >= SIZE >> 1),
    );
    a.p.kill('SIGKILL');
    await a.exit;
    release();
    const left = readdirSync(cache).sort();
    assert.ok(!left.includes(name), `a complete-looking file was left: ${left.join(', ')}`);
    assert.deepEqual(left.map((f) => f.replace(/\.\d+-[0-9a-f]{8}\.partial$/, '.partial')).sort(), [
      `${name}.lock`,
      `${name}.partial`,
    ]);
    const events: ShardCacheEvent[] = [];
    assert.ok((await read(server.url(path), cache, SIZE * 4, events)).equals(shards[2]!));
    assert.deepEqual(
      events.map((e) => e.kind),
      ['stale-lock', 'download', 'stored'],
    );
    assert.deepEqual(readdirSync(cache), [name]);
    assert.equal(server.requests(path), 2);
  });

  it('a shard larger than the limit streams uncached, and says so', async () => {
    const cache = join(dir, 'large');
    const events: ShardCacheEvent[] = [];
    const url = server.url('/large/remote-003.tar');
    assert.ok((await read(url, cache, 1000, events)).equals(shards[3]!));
    assert.deepEqual(events, [{ kind: 'uncached', url, reason: 'larger-than-limit', bytes: SIZE, limit: 1000 }]);
    assert.deepEqual(readdirSync(cache), []);
    // while a download holds most of the limit, another shard streams uncached rather than waiting for room
    const release = server.hold('/large/remote-000.tar');
    const held = cachedShardStream(
      server.url('/large/remote-000.tar'),
      () => httpShardStream(server.url('/large/remote-000.tar')),
      {
        dir: cache,
        limit: Math.floor(SIZE * 1.5),
      },
    );
    held.once('data', () => undefined);
    held.pause();
    await until('the first download to hold its room', () => readdirSync(cache).some((f) => f.endsWith('.partial')));
    const more: ShardCacheEvent[] = [];
    assert.ok(
      (await read(server.url('/large/remote-001.tar'), cache, Math.floor(SIZE * 1.5), more)).equals(shards[1]!),
    );
    assert.deepEqual(
      more.map((e) => e.kind === 'uncached' && e.reason),
      ['no-room'],
    );
    release();
    held.destroy();
  });

  it('fromShards checks the cache options when the source is declared', () => {
    const url = server.url('/x/remote-000.tar');
    assert.throws(() => fromShards(url, { seed: 1, cacheDir: '' }), /cacheDir must be a folder path/);
    assert.throws(() => fromShards(url, { seed: 1, cacheDir: dir, cacheLimit: 0 }), /cacheLimit must be >= 1/);
    assert.throws(() => fromShards(url, { seed: 1, cacheDir: dir, cacheLimit: 1.5 }), /cacheLimit must be an integer/);
  });

  it('a second epoch through fromShards reads the cache: no request', async () => {
    const cache = join(dir, 'epochs');
    const urls = [0, 1].map((i) => server.url(`/epochs/remote-00${i}.tar`));
    const events: ShardCacheEvent[] = [];
    const got: string[] = [];
    const it = createLoader(
      fromShards(urls, {
        seed: 1,
        epochs: 2,
        shuffleShards: false,
        rank: 0,
        worldSize: 1,
        cacheDir: cache,
        cacheLimit: SIZE * 4,
        onCacheEvent: (e) => events.push(e),
      }),
    ).iterate();
    for await (const s of it) got.push(s.__key__);
    const once = keys.slice(0, 60);
    assert.deepEqual(got, [...once, ...once]);
    assert.deepEqual(
      urls.map((x) => server.requests(new URL(x).pathname)),
      [1, 1],
    );
    // a tar reader stops at the end-of-archive blocks, before the last bytes: the download still completes and
    // is kept; the second epoch reads the file, or follows this process's own download if it has not ended yet
    await until('both downloads stored', () => events.filter((e) => e.kind === 'stored').length === 2);
    const kinds = events.map((e) => e.kind);
    assert.equal(kinds.filter((k) => k === 'download').length, 2);
    assert.deepEqual(
      kinds.filter((k) => k !== 'download' && k !== 'stored').map((k) => (k === 'wait' ? 'hit' : k)),
      ['hit', 'hit'],
    );
  });
});
