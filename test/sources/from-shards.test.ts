import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { fromShards, type FromShardsOptions } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { ShardError, SampleError } from '../../sources/errors.js';
import { LINEAGE, type Sample } from '../../sources/sample.js';
import { tempDir } from '../helpers/temp-dir.js';
import { keysOf, writeShards, writeDuplicateFieldTar } from './fixtures.js';
import { startShardServer } from './http-server.js';

const dir = tempDir();
const data = await writeShards(dir, 4, 25); // 100 samples, keys s<shard>-<index>
const server = await startShardServer();

/** Keys of a whole run through a loader (no operators), with the final accounting. */
async function run(
  spec: string | readonly string[],
  options: FromShardsOptions,
): Promise<{
  keys: string[];
  accounting: ReturnType<ReturnType<ReturnType<typeof createLoader>['iterate']>['accounting']>;
}> {
  const it = createLoader(fromShards(spec, options)).iterate();
  const keys: string[] = [];
  for await (const s of it) keys.push(...keysOf(s));
  return { keys, accounting: it.accounting() };
}

const sorted = (a: readonly string[]) => [...a].sort();

/** Catches process warnings during fn. */
async function warningsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (w: Error & { code?: string }) => {
    if (w.name === 'NdaflowWarning') seen.push(w.code ?? '');
  };
  process.on('warning', listener);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('fromShards: reading', () => {
  it('reads every sample once, in tar order without shuffling, each with __key__, __url__ and a lineage', async () => {
    const samples = await firstValueFrom(fromShards(data.spec, { seed: 1, shuffleShards: false }).pipe(toArray()));
    assert.deepEqual(
      samples.map((s) => s.__key__),
      data.keys,
    );
    for (const s of samples) {
      assert.equal(s.__url__, data.paths[Number(/^s(\d)/.exec(s.__key__)?.[1])]);
      assert.ok(Buffer.isBuffer(s['cls']) && Buffer.isBuffer(s['txt']));
      assert.equal(s['txt'].toString(), s.__key__);
      assert.ok(s[LINEAGE]);
    }
  });

  it('is lazy and re-iterable: each subscription is a fresh run', async () => {
    const source = fromShards(data.spec, { seed: 3, shuffle: 10 });
    const a = await firstValueFrom(source.pipe(toArray()));
    const b = await firstValueFrom(source.pipe(toArray()));
    assert.deepEqual(
      a.map((s) => s.__key__),
      b.map((s) => s.__key__),
    );
    assert.deepEqual(sorted(a.map((s) => s.__key__)), sorted(data.keys));
  });

  it('validates options when declared', () => {
    assert.throws(() => fromShards(data.spec, { seed: -1 }), RangeError);
    assert.throws(() => fromShards(data.spec, { seed: 1, shuffle: -3 }), RangeError);
    assert.throws(() => fromShards(data.spec, { seed: 1, epochs: 0 }), RangeError);
    assert.throws(() => fromShards(data.spec, { seed: 1, samplesPerEpoch: 0 }), RangeError);
    assert.throws(() => fromShards(data.spec, { seed: 1, handler: 'nope' as never }), TypeError);
    assert.throws(() => fromShards(data.spec, { seed: 1, readSize: 10 }), RangeError);
    assert.throws(() => fromShards(data.spec, { seed: 1, http: { retries: -1 } }), RangeError);
    assert.throws(() => fromShards('x-{}.tar', { seed: 1 }), RangeError);
  });

  it('picks and reports a seed when none is given', () => {
    let reported: number | undefined;
    const source = fromShards(data.spec, { onSeed: (s) => (reported = s) });
    assert.equal(source.seed, reported);
  });

  it('refuses pipe: shards without allowPipe when declared, reads them with it', async () => {
    assert.throws(
      () => fromShards(`pipe:cat ${data.paths[0]}`, { seed: 1 }),
      (e: unknown) => e instanceof RangeError && /allowPipe/.test(e.message),
    );
    const { keys } = await run(`pipe:cat ${data.paths[0]}`, { seed: 1, allowPipe: true });
    assert.deepEqual(keys, data.keys.slice(0, 25));
  });

  it('reads file: URLs and http:// shards', async () => {
    const url = server.serve('/f.tar', readFileSync(data.paths[1] as string));
    const { keys } = await run([`file:${data.paths[0]}`, url], { seed: 1, shuffleShards: false });
    assert.deepEqual(keys, data.keys.slice(0, 50));
  });
});

describe('fromShards: epochs and plans', () => {
  it('shuffles deterministically: same seed same order, each epoch a different permutation of the data', async () => {
    const a = await run(data.spec, { seed: 11, shuffle: 30, epochs: 3 });
    const b = await run(data.spec, { seed: 11, shuffle: 30, epochs: 3 });
    const c = await run(data.spec, { seed: 12, shuffle: 30, epochs: 3 });
    assert.deepEqual(a.keys, b.keys);
    assert.notDeepEqual(a.keys, c.keys);
    const epochs = [0, 1, 2].map((e) => a.keys.slice(e * 100, (e + 1) * 100));
    for (const e of epochs) assert.deepEqual(sorted(e), sorted(data.keys));
    assert.notDeepEqual(epochs[0], epochs[1]);
    assert.notDeepEqual(epochs[1], epochs[2]);
    assert.notDeepEqual(epochs[0], data.keys);
  });

  it('epochs: n and repeat() read the data n times', async () => {
    assert.equal((await run(data.spec, { seed: 1, epochs: 2 })).keys.length, 200);
    const it = createLoader(fromShards(data.spec, { seed: 1 }).repeat()).iterate();
    let n = 0;
    for await (const _ of it) if (++n === 350) break;
    assert.equal(n, 350);
    assert.equal(it.state().epoch, 3);
    assert.equal(
      (
        await run(data.spec, { seed: 1 }).then(() =>
          firstValueFrom(fromShards(data.spec, { seed: 1 }).repeat(3).pipe(toArray())),
        )
      ).length,
      300,
    );
  });

  it('withEpoch(n): exactly n samples per epoch, the stream going on across epochs and passes', async () => {
    const continuous = (await run(data.spec, { seed: 4, epochs: 4 })).keys;
    const source = fromShards(data.spec, { seed: 4, epochs: 3 }).withEpoch(70);
    const it = createLoader(source).with({ prefetch: 1 }).iterate();
    const keys: string[] = [];
    const epochAt: number[] = [];
    for await (const s of it) {
      keys.push(...keysOf(s));
      epochAt.push(it.state().epoch);
    }
    assert.deepEqual(keys, continuous.slice(0, 210));
    assert.equal(it.state().epoch, 3);
    // with one sample of prefetch, the source is at most one sample ahead: the epoch turns every 70 samples
    assert.deepEqual([epochAt[0], epochAt[35], epochAt[100], epochAt[150], epochAt[208]], [0, 0, 1, 2, 2]);
    const one = await firstValueFrom(fromShards(data.spec, { seed: 4, epochs: 1 }).withEpoch(130).pipe(toArray()));
    assert.equal(one.length, 130);
  });

  it('splits shards over ranks: a partition, and a rank without a shard is refused when declared', async () => {
    const all: string[] = [];
    for (let rank = 0; rank < 3; rank++) all.push(...(await run(data.spec, { seed: 2, rank, worldSize: 3 })).keys);
    assert.deepEqual(sorted(all), sorted(data.keys));
    assert.throws(
      () => fromShards(data.spec, { seed: 2, rank: 4, worldSize: 5 }),
      (e: unknown) => e instanceof RangeError && /4 shard\(s\) over 5 rank\(s\)/.test(e.message),
    );
    const equal = await run(data.spec, { seed: 2, rank: 4, worldSize: 5, equalLength: true });
    assert.equal(equal.keys.length, 25);
    const resampled = await run(data.spec, { seed: 2, rank: 4, worldSize: 5, resampled: true });
    assert.equal(resampled.keys.length, 100);
  });

  it('resampled draws shards with replacement, reproducibly', async () => {
    const a = await run(data.spec, { seed: 6, resampled: true, epochs: 3 });
    const b = await run(data.spec, { seed: 6, resampled: true, epochs: 3 });
    assert.deepEqual(a.keys, b.keys);
    assert.equal(a.keys.length, 300);
    const shardsRead = [0, 1, 2].map((e) => new Set(a.keys.slice(e * 100, (e + 1) * 100).map((k) => k.slice(0, 2))));
    assert.ok(
      shardsRead.some((s) => s.size < 4),
      'some pass re-reads a shard',
    );
  });
});

describe('fromShards: bad input through the handler', () => {
  const truncated = join(dir, 'truncated.tar');
  const whole = readFileSync(data.paths[2] as string);
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  const dup = writeDuplicateFieldTar(join(dir, 'dup.tar'));

  it('reraise (default): a duplicate field errors the stream with a SampleError', async () => {
    await assert.rejects(
      run(dup, { seed: 1 }),
      (e: unknown) => e instanceof SampleError && e.reason === 'duplicate-field',
    );
  });

  it('warnAndContinue: the duplicate is skipped and counted, the rest read', async () => {
    let result: Awaited<ReturnType<typeof run>> | undefined;
    const warnings = await warningsDuring(
      async () => (result = await run(dup, { seed: 1, handler: 'warnAndContinue' })),
    );
    assert.deepEqual(result?.keys, ['a', 'c']);
    assert.deepEqual(result?.accounting.skipped, { 'duplicate-field': 1 });
    assert.equal(result?.accounting.seen, 3);
    assert.equal(result?.accounting.lost, 0);
    assert.deepEqual(warnings, ['duplicate-field']);
  });

  const badSpecs = () => {
    const missing = server.serve('/missing.tar', Buffer.alloc(0), () => 404);
    const failing = server.serve('/failing.tar', Buffer.alloc(0), () => 500);
    return [
      data.paths[0] as string,
      truncated,
      join(dir, 'nonexistent.tar'),
      missing,
      failing,
      data.paths[1] as string,
    ];
  };
  const http = { retries: 1, backoffMs: 5 };

  for (const handler of ['warnAndContinue', 'ignoreAndContinue'] as const) {
    it(`${handler}: bad shards are counted and the other shards still read`, async () => {
      let result: Awaited<ReturnType<typeof run>> | undefined;
      const warnings = await warningsDuring(
        async () => (result = await run(badSpecs(), { seed: 1, shuffleShards: false, handler, http })),
      );
      const a = result?.accounting;
      const truncatedKeys = result?.keys.filter((k) => k.startsWith('s2-')) ?? [];
      assert.deepEqual(result?.keys, [...data.keys.slice(0, 25), ...truncatedKeys, ...data.keys.slice(25, 50)]);
      assert.ok(truncatedKeys.length > 5 && truncatedKeys.length < 25);
      assert.deepEqual(a?.shardErrors, { 'truncated-shard': 1, 'shard-open': 2, 'shard-http': 1 });
      assert.deepEqual(a?.skipped, { 'truncated-shard': 1 });
      assert.equal(a?.seen, (a?.yielded ?? 0) + 1);
      assert.equal(a?.lost, 0);
      assert.ok((a?.errors.length ?? 0) >= 4);
      // one warning per event: the truncation is reported once, with the sample it cut
      assert.deepEqual(warnings.length, handler === 'warnAndContinue' ? 4 : 0);
    });
  }

  it('reraise: a truncated shard errors the stream and is counted as a shard error too', async () => {
    const it = createLoader(
      fromShards([data.paths[0] as string, truncated], { seed: 1, shuffleShards: false }),
    ).iterate();
    const keys: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const s of it) keys.push(s.__key__);
      })(),
      (e: unknown) => e instanceof SampleError && e.reason === 'truncated-shard',
    );
    assert.ok(keys.length > 25, 'the good shard and the whole samples before the cut were delivered');
    assert.deepEqual(it.accounting().shardErrors, { 'truncated-shard': 1 });
    assert.deepEqual(it.accounting().skipped, { 'truncated-shard': 1 });
  });

  it('warnAndStop: the run ends cleanly at the first bad shard', async () => {
    let result: Awaited<ReturnType<typeof run>> | undefined;
    await warningsDuring(
      async () =>
        (result = await run([data.paths[0] as string, join(dir, 'nonexistent.tar'), data.paths[1] as string], {
          seed: 1,
          shuffleShards: false,
          handler: 'warnAndStop',
        })),
    );
    assert.deepEqual(result?.keys, data.keys.slice(0, 25));
    assert.deepEqual(result?.accounting.shardErrors, { 'shard-open': 1 });
    assert.equal(result?.accounting.lost, 0);
  });

  it('reraise: a missing shard errors the iteration with a ShardError naming it', async () => {
    const missing = join(dir, 'nonexistent.tar');
    await assert.rejects(
      run([data.paths[0] as string, missing], { seed: 1, shuffleShards: false }),
      (e: unknown) => e instanceof ShardError && e.url === missing && e.reason === 'shard-open',
    );
  });

  it('endless epochs over shards that never give a sample end instead of spinning', async () => {
    const result = await run([join(dir, 'nonexistent.tar'), join(dir, 'nonexistent2.tar')], {
      seed: 1,
      epochs: Infinity,
      handler: 'ignoreAndContinue',
    });
    assert.deepEqual(result.keys, []);
    assert.deepEqual(result.accounting.shardErrors, { 'shard-open': 2, 'no-samples': 1 });
    const spe = await run([join(dir, 'nonexistent.tar')], {
      seed: 1,
      samplesPerEpoch: 10,
      handler: 'ignoreAndContinue',
    });
    assert.deepEqual(spe.accounting.shardErrors, { 'shard-open': 1, 'no-samples': 1 });
  });

  it('subscribing twice to one run is refused', async () => {
    const run1 = fromShards(data.spec, { seed: 1 }).open({});
    const first: Sample[] = [];
    const sub = run1.samples.subscribe((s) => first.push(s));
    await assert.rejects(firstValueFrom(run1.samples), /twice/);
    sub.unsubscribe();
  });
});
