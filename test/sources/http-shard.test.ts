import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { httpShardStream } from '../../sources/http-shard.js';
import { openShard } from '../../sources/open-shard.js';
import { readTarSamples } from '../../sources/tar-samples.js';
import { ShardError } from '../../sources/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { drain, writeShards } from './fixtures.js';
import { startShardServer } from './http-server.js';

const dir = tempDir();
const server = await startShardServer();
const { paths, keys } = await writeShards(dir, 1, 400, { binBytes: 3000 }); // ~1.6 MB: several reads
const shard = readFileSync(paths[0] as string);
const FAST = { retries: 2, backoffMs: 5, timeoutMs: 2000 };

async function collect(stream: Readable): Promise<{ data: Buffer; error?: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of stream) chunks.push(c as Buffer);
  } catch (error) {
    return { data: Buffer.concat(chunks), error };
  }
  return { data: Buffer.concat(chunks) };
}

async function sampleKeys(url: string): Promise<{ keys: string[]; error?: unknown }> {
  const { items, error } = await drain(readTarSamples(openShard(url, { http: FAST }), url));
  const k = items.map((i) => (i.kind === 'bad' ? `!${i.key}` : i.key));
  return error === undefined ? { keys: k } : { keys: k, error };
}

describe('httpShardStream', () => {
  it('(a) reads a shard served normally', async () => {
    const url = server.serve('/a.tar', shard);
    const { data, error } = await collect(httpShardStream(url, FAST));
    assert.equal(error, undefined);
    assert.ok(data.equals(shard));
    assert.deepEqual((await sampleKeys(url)).keys, keys);
  });

  it('(b) resumes with a Range request after a dropped connection: every sample once, in order', async () => {
    const url = server.serve('/b.tar', shard, (n) => (n === 0 ? 'drop-half' : 'ok'));
    const { data, error } = await collect(httpShardStream(url, FAST));
    assert.equal(error, undefined);
    assert.ok(data.equals(shard));
    const ranges = server.requests.get('/b.tar') ?? [];
    assert.equal(ranges.length, 2);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? '', /^bytes=[1-9]\d*-$/);
    const url2 = server.serve('/b2.tar', shard, (n) => (n === 0 ? 'drop-half' : 'ok'));
    assert.deepEqual(await sampleKeys(url2), { keys });
  });

  it('(c) stays exact when the server ignores Range after a drop (re-reads and skips)', async () => {
    const url = server.serve('/c.tar', shard, (n) => (n === 0 ? 'drop-half' : 'ignore-range'));
    const { data, error } = await collect(httpShardStream(url, FAST));
    assert.equal(error, undefined);
    assert.ok(data.equals(shard));
    const url2 = server.serve('/c2.tar', shard, (n) => (n < 2 ? 'drop-half-ignore-range' : 'ignore-range'));
    assert.deepEqual(await sampleKeys(url2), { keys });
  });

  it('survives more drops than retries as long as each attempt makes progress', async () => {
    const url = server.serve('/progress.tar', shard, (n) => (n < 5 ? 'drop-half' : 'ok'));
    const { data, error } = await collect(httpShardStream(url, FAST));
    assert.equal(error, undefined);
    assert.ok(data.equals(shard));
    assert.equal(server.requests.get('/progress.tar')?.length, 6);
  });

  it('(d) 404 fails at once with a ShardError naming the URL', async () => {
    const url = server.serve('/d.tar', shard, () => 404);
    const { error } = await collect(httpShardStream(url, { retries: 5, backoffMs: 10_000 }));
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'shard-open');
    assert.equal(error.url, url);
    assert.match(error.message, /HTTP 404/);
    assert.equal(server.requests.get('/d.tar')?.length, 1);
  });

  it('(e) 500 on every try fails after the retries', async () => {
    const url = server.serve('/e.tar', shard, () => 500);
    const { error } = await collect(httpShardStream(url, FAST));
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'shard-http');
    assert.match(error.message, /3 time\(s\) in a row, last: HTTP 500/);
    assert.equal(server.requests.get('/e.tar')?.length, 3);
    const { keys: k, error: e2 } = await sampleKeys(server.serve('/e2.tar', shard, () => 503));
    assert.deepEqual(k, []);
    assert.ok(e2 instanceof ShardError && e2.reason === 'shard-http');
  });

  it('retries a stalled server after the idle timeout, then fails', async () => {
    const url = server.serve('/stall.tar', shard, () => 'stall');
    const { error } = await collect(httpShardStream(url, { retries: 1, backoffMs: 1, timeoutMs: 100 }));
    assert.ok(error instanceof ShardError);
    assert.match(error.message, /no data for 100 ms/);
    assert.equal(server.requests.get('/stall.tar')?.length, 2);
  });

  it('follows redirects', async () => {
    const url = server.serve('/r.tar', shard, (n) => (n === 0 ? 'redirect' : 'ok'));
    const { data, error } = await collect(httpShardStream(url, FAST));
    assert.equal(error, undefined);
    assert.ok(data.equals(shard));
  });

  it('a drop followed by refused connections fails after the retries (no hang)', async () => {
    const data = Buffer.alloc(3_000_000, 7);
    const lone = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': data.length });
      res.write(data.subarray(0, 1_000_000), () =>
        setImmediate(() => {
          res.socket?.destroy();
          lone.closeAllConnections();
          lone.close();
        }),
      );
    });
    await new Promise<void>((r) => lone.listen(0, '127.0.0.1', r));
    const { data: got, error } = await collect(
      httpShardStream(`http://127.0.0.1:${(lone.address() as AddressInfo).port}/x.tar`, FAST),
    );
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'shard-http');
    assert.match(error.message, /ECONNREFUSED/);
    assert.ok(got.equals(data.subarray(0, got.length)));
  });

  it('a refused connection fails after the retries', async () => {
    const { error } = await collect(httpShardStream('http://127.0.0.1:1/x.tar', FAST));
    assert.ok(error instanceof ShardError);
    assert.equal(error.reason, 'shard-http');
  });

  it('destroying the stream aborts the request', async () => {
    const url = server.serve('/abort.tar', Buffer.concat([shard, shard, shard, shard]));
    const stream = httpShardStream(url, FAST);
    for await (const _ of stream) break; // one chunk, then destroy
    assert.equal(stream.destroyed, true);
    assert.equal(server.requests.get('/abort.tar')?.length, 1);
  });
});
