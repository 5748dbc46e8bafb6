import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ShardError } from '../../sources/errors.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { listShards, objectShardStream } from '../../sources/object-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeShards } from './fixtures.js';
import { startFakeGcs, type FakeGcs } from './fake-gcs-server.js';

/**
 * gs:// end to end: the official `@google-cloud/storage` SDK, pointed by `STORAGE_EMULATOR_HOST`
 * (as its docs say) at a small GCS JSON API server on 127.0.0.1 (see fake-gcs-server.ts for why not
 * a package).
 */
const dir = tempDir();
const BUCKET = 'ndaflow-gcs';
const local = await writeShards(dir, 3, 40, { binBytes: 3000, prefix: 'train' });
let gcs: FakeGcs;
const saved = process.env.STORAGE_EMULATOR_HOST;

async function bytesOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('gs:// shards through @google-cloud/storage against a GCS JSON API server on 127.0.0.1', () => {
  before(async () => {
    gcs = await startFakeGcs();
    process.env.STORAGE_EMULATOR_HOST = gcs.host;
    for (const p of local.paths) gcs.put(BUCKET, `data/${p.replace(/.*\//, '')}`, readFileSync(p));
    gcs.put(BUCKET, 'data/other.bin', Buffer.from('x'));
    gcs.put(BUCKET, 'data/shards.txt', Buffer.from('train-002.tar\n# comment\ntrain-000.tar\n'));
  });
  after(() => {
    if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
    else process.env.STORAGE_EMULATOR_HOST = saved;
    gcs.close();
  });

  it('lists a prefix glob over several pages, expands braces, reads a manifest', async () => {
    const urls = [0, 1, 2].map((i) => `gs://${BUCKET}/data/train-00${i}.tar`);
    assert.deepEqual(await listShards(`gs://${BUCKET}/data/train-*.tar`), urls);
    assert.deepEqual(await listShards(`gs://${BUCKET}/data/train-{000..002}.tar`), urls);
    assert.deepEqual(await listShards(`gs://${BUCKET}/data/shards.txt`, { manifest: true }), [urls[2], urls[0]]);
    assert.ok(
      gcs.requests.some((r) => r.url.includes('pageToken=')),
      'the listing must have paged',
    );
  });

  it('fromShards reads every sample, as from the local files', async () => {
    const keys: string[] = [];
    const it = createLoader(
      fromShards(await listShards(`gs://${BUCKET}/data/train-*.tar`), {
        seed: 1,
        shuffleShards: false,
        rank: 0,
        worldSize: 1,
      }),
    ).iterate();
    for await (const s of it) keys.push(s.__key__);
    assert.equal(it.accounting().lost, 0);
    assert.deepEqual(keys, local.keys);
  });

  it('a transfer cut mid-shard resumes with a ranged read: the bytes are exactly the object, once each', async () => {
    const want = readFileSync(local.paths[1]!);
    gcs.cutNext('data/train-001.tar', 50_000);
    const before = gcs.requests.length;
    const got = await bytesOf(objectShardStream(`gs://${BUCKET}/data/train-001.tar`, { backoffMs: 10 }));
    assert.ok(want.length > 100_000);
    assert.ok(got.equals(want), `got ${got.length} bytes, want ${want.length}`);
    const media = gcs.requests.slice(before).filter((r) => r.url.includes('alt=media'));
    assert.ok(media.length >= 2, `the cut must force a second download: ${media.length}`);
    assert.match(media.at(-1)?.range ?? '', /^bytes=[1-9]\d*-$/);
  });

  it('a missing object fails at once as shard-open naming the URL', async () => {
    const url = `gs://${BUCKET}/data/missing.tar`;
    await assert.rejects(
      bytesOf(objectShardStream(url, { backoffMs: 1 })),
      (e: unknown) => e instanceof ShardError && e.reason === 'shard-open' && e.url === url,
    );
  });
});
