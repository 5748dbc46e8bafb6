import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { ShardError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { listShards, objectShardStream } from '../../sources/object-store.js';
import { at } from '../helpers/at.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeShards } from './fixtures.js';

/**
 * End to end against s3rver (npm `s3rver`: an S3 API server in Node, started here on 127.0.0.1 with
 * its own folder; chosen because it installs from npm with no binary and answers ranged GETs and
 * ListObjectsV2 as S3 does; Debian has no S3 server package here, MinIO is not packaged).
 */
const dir = tempDir();
const BUCKET = 'ndaflow-test';
let server: S3rver;
let endpoint = '';
const saved = { ...process.env };
const local = await writeShards(dir, 3, 40, { binBytes: 3000, prefix: 'train' });

/** Reads a stream to one buffer. */
async function bytesOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A TCP proxy to the server that cuts the first connection after `cutAfter` bytes towards the
 * client (mid-shard), and records what the client sent on each connection (to see the Range request).
 */
async function cuttingProxy(
  target: number,
  cutAfter: number,
): Promise<{ port: number; requests: string[]; close: () => void }> {
  const requests: string[] = [];
  let cut = false;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    const index = requests.push('') - 1;
    let down = 0;
    client.on('data', (d: Buffer) => {
      requests[index] += d.toString('latin1');
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      down += d.length;
      if (!cut && down > cutAfter) {
        cut = true;
        client.write(d.subarray(0, d.length - (down - cutAfter)));
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    requests,
    close: () => {
      for (const s of sockets) s.destroy();
      proxy.close();
    },
  };
}

describe('s3:// shards against a real S3-compatible server on 127.0.0.1 (s3rver)', () => {
  let port = 0;
  before(async () => {
    mkdirSync(join(dir, 's3'), { recursive: true });
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3') });
    port = (await server.run()).port;
    endpoint = `http://127.0.0.1:${port}`;
    // the standard chain: credentials and endpoint from the environment, read when a URL is opened
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: endpoint,
    });
    const c = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    await c.send(new CreateBucketCommand({ Bucket: BUCKET }));
    for (const p of local.paths)
      await c.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: `data/${p.replace(/.*\//, '')}`, Body: readFileSync(p) }),
      );
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'data/other.bin', Body: Buffer.from('x') }));
    await c.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'data/shards.txt',
        Body: 'train-001.tar\n# a comment\n\ntrain-000.tar\n',
      }),
    );
    c.destroy();
  });
  after(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await server.close();
  });

  it('lists a prefix glob, expands braces, reads a manifest', async () => {
    const urls = [0, 1, 2].map((i) => `s3://${BUCKET}/data/train-00${i}.tar`);
    assert.deepEqual(await listShards(`s3://${BUCKET}/data/train-*.tar`), urls);
    assert.deepEqual(await listShards(`s3://${BUCKET}/data/train-{000..002}.tar`), urls);
    assert.deepEqual(await listShards(`s3://${BUCKET}/data/train-00[02].tar::${local.paths[0]}`), [
      urls[0],
      urls[2],
      local.paths[0],
    ]);
    assert.deepEqual(await listShards(`s3://${BUCKET}/data/shards.txt`, { manifest: true }), [urls[1], urls[0]]);
    await assert.rejects(
      listShards(`s3://${BUCKET}/data/val-*.tar`),
      (e: unknown) => e instanceof ShardError && /no object matches/.test(e.message),
    );
    assert.throws(() => fromShards(`s3://${BUCKET}/data/train-*.tar`, { seed: 1 }), /listShards/);
  });

  it('fromShards reads every sample of the listed shards, as from the local files', async () => {
    const urls = await listShards(`s3://${BUCKET}/data/train-*.tar`);
    const keys: string[] = [];
    const it = createLoader(
      fromShards(urls, { seed: 1, shuffle: 0, shuffleShards: false, rank: 0, worldSize: 1 }),
    ).iterate();
    for await (const s of it) keys.push(s.__key__);
    assert.equal(it.accounting().lost, 0);
    assert.deepEqual(keys, local.keys);
  });

  it('a transfer cut mid-shard resumes with a ranged read: the bytes are exactly the object, once each', async () => {
    const proxy = await cuttingProxy(port, 50_000);
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${proxy.port}`;
    try {
      const got = await bytesOf(objectShardStream(`s3://${BUCKET}/data/train-001.tar`, { backoffMs: 10 }));
      const want = readFileSync(at(local.paths, 1));
      assert.ok(want.length > 100_000, 'the shard must be larger than the cut');
      assert.ok(got.equals(want), `got ${got.length} bytes, want ${want.length}`);
      const gets = proxy.requests.filter((r) => r.startsWith('GET '));
      assert.ok(gets.length >= 2, `the cut must force a second request: ${gets.length}`);
      assert.match(gets.at(-1)!, /^range: bytes=\d+-\r$/im);
    } finally {
      process.env.AWS_ENDPOINT_URL = endpoint;
      proxy.close();
    }
  });

  it('a missing object fails at once as shard-open naming the URL; a dead endpoint fails after the retries', async () => {
    const url = `s3://${BUCKET}/data/missing.tar`;
    await assert.rejects(bytesOf(objectShardStream(url, { backoffMs: 1 })), (e: unknown) => {
      return e instanceof ShardError && e.reason === 'shard-open' && e.url === url && /NoSuchKey/.test(e.message);
    });
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as net.AddressInfo).port;
    dead.close();
    process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${deadPort}`;
    try {
      await assert.rejects(
        bytesOf(objectShardStream(`s3://${BUCKET}/data/train-000.tar`, { retries: 1, backoffMs: 1 })),
        (e: unknown) => e instanceof ShardError && e.reason === 'shard-http' && /2 time\(s\) in a row/.test(e.message),
      );
    } finally {
      process.env.AWS_ENDPOINT_URL = endpoint;
    }
  });
});
