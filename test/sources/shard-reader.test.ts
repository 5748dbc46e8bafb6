import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ShardReader, type ShardReaderOptions } from '../../sources/shard-reader.js';
import { Ledger } from '../../sources/ledger.js';
import { ignoreAndContinue, reraise, warnAndStop } from '../../sources/handlers.js';
import { ShardError } from '../../sources/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { keyOf, openFds, quiet, settledFds, writeShards } from './fixtures.js';
import { startShardServer } from './http-server.js';

const dir = tempDir();
const data = await writeShards(dir, 3, 4);
const server = await startShardServer();

function reader(
  urls: readonly string[],
  extra: Partial<ShardReaderOptions> = {},
): { reader: ShardReader; ledger: Ledger } {
  const ledger = new Ledger(Infinity);
  const r = new ShardReader({
    urls,
    plan: { seed: 1, shuffleShards: false },
    open: {},
    handler: reraise,
    ledger,
    counters: { entries: 0, bytes: 0 },
    passes: 1,
    ...extra,
  });
  return { reader: r, ledger };
}

async function readAll(r: ShardReader): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const x = await r.next();
    if (x === null) return out;
    if ('passEnd' in x) out.push(`end${x.passEnd}`);
    else {
      r.commit();
      out.push(x.sample.__key__);
    }
  }
}

describe('ShardReader', () => {
  it('reads shard after shard, pass after pass, with lineages and pass ends', async () => {
    const { reader: r } = reader(data.paths, { passes: 2 });
    const first = await r.next();
    assert.ok(first && 'sample' in first);
    assert.deepEqual({ ...first.lineage, ledger: undefined }, { ledger: undefined, pass: 0, shard: 0, index: 0 });
    r.commit();
    const rest = await readAll(r);
    assert.deepEqual([first.sample.__key__, ...rest], [...data.keys, 'end0', ...data.keys, 'end1']);
  });

  it('keeps the sample it returned "in transit" (cursor on it) until committed', async () => {
    const { reader: r } = reader(data.paths);
    await r.next();
    r.commit();
    const second = await r.next();
    assert.ok(second && 'sample' in second);
    assert.deepEqual(r.cursor(), { pass: 0, shard: 0, index: 1 });
    assert.equal(r.inTransit(), 1);
    r.commit();
    assert.deepEqual(r.cursor(), { pass: 0, shard: 0, index: 2 });
    assert.equal(r.inTransit(), 0);
  });

  it('starts at a saved cursor', async () => {
    const { reader: r } = reader(data.paths, { from: { pass: 0, shard: 1, index: 2 } });
    assert.deepEqual(await readAll(r), [keyOf(1, 2), keyOf(1, 3), ...data.keys.slice(8), 'end0']);
  });

  it('re-reads samples at positions (resume), leaving out what cannot be read', async () => {
    const { reader: r, ledger } = reader(data.paths);
    const found = await r.readAt([
      { pass: 0, shard: 2, index: 3 },
      { pass: 0, shard: 0, index: 1 },
      { pass: 0, shard: 0, index: 99 },
      { pass: 0, shard: 7, index: 0 },
    ]);
    assert.deepEqual([...found].map(([k, v]) => [k, v.sample.__key__]).sort(), [
      ['0/0/1', keyOf(0, 1)],
      ['0/2/3', keyOf(2, 3)],
    ]);
    assert.equal(ledger.accounting().seen, 0);
  });

  it('routes shard errors through the handler: continue counts and goes on, stop ends', async () => {
    const missing = join(dir, 'missing.tar');
    const a = reader([data.paths[0] as string, missing, data.paths[1] as string], { handler: ignoreAndContinue });
    assert.deepEqual(await readAll(a.reader), [...data.keys.slice(0, 8), 'end0']);
    assert.deepEqual(a.ledger.accounting().shardErrors, { 'shard-open': 1 });
    const b = reader([data.paths[0] as string, missing, data.paths[1] as string], { handler: warnAndStop });
    const keys: string[] = [];
    await new Promise<void>((resolve) => {
      process.once('warning', () => resolve());
      void readAll(b.reader).then((k) => keys.push(...k));
    });
    await quiet(2);
    assert.deepEqual(keys, data.keys.slice(0, 4));
    const c = reader([missing]);
    await assert.rejects(c.reader.next(), (e: unknown) => e instanceof ShardError && e.url === missing);
  });

  it('close() releases a read that waits on a stalled server at once', async () => {
    const url = server.serve('/stall.tar', Buffer.alloc(0), () => 'stall');
    const { reader: r } = reader([url], { open: { http: { timeoutMs: 60_000 } } });
    const pending = r.next();
    await quiet(2);
    r.close();
    assert.equal(await pending, null);
    assert.equal(await r.next(), null);
  });

  it('close() while a shard is open releases its file', async () => {
    await quiet();
    const before = openFds();
    const { reader: r } = reader(data.paths);
    await r.next();
    assert.equal(openFds(), before + 1);
    r.close();
    assert.equal(await settledFds(before), before);
  });
});
