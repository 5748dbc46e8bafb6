import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import type { LoaderState, MergedLoaderState } from '../../sources/loader-state.js';
import { mergeLoaderStates } from '../../sources/merge-loader-states.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { at } from '../helpers/at.js';
import { tempDir } from '../helpers/temp-dir.js';
import { keysOf, testBatch } from './fixtures.js';

const dir = tempDir();
/** 12 shards of 2..16 samples (uneven, so ranks stop in different places), keys unique over the dataset. */
const SIZES = [5, 16, 2, 9, 11, 3, 14, 7, 8, 13, 4, 10];
const urls: string[] = [];
const allKeys: string[] = [];
for (const [s, n] of SIZES.entries()) {
  const w = new ShardWriter(join(dir, `e${s}-%03d.tar`));
  for (let i = 0; i < n; i++) {
    const key = `e${s}x${i}`;
    allKeys.push(key);
    await w.write({ __key__: key, txt: key });
  }
  urls.push(...(await w.close()));
}

interface JobOptions {
  readonly seed: number;
  readonly shuffle: number;
  readonly epochs: number;
  readonly batch: number;
}

/** Counts of each key, sorted, for multiset comparison. */
function counts(keys: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return new Map([...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

/** Every key `epochs` times: what a whole job delivers. */
const expected = (epochs: number) => counts(Array.from({ length: epochs }, () => allKeys).flat());

/** One rank: delivers `stop` items (all when undefined), returns the keys and its state saved as JSON. */
async function rank(
  o: JobOptions,
  r: number,
  worldSize: number,
  stop: number | undefined,
  resumeFrom?: LoaderState | MergedLoaderState,
  settle = true,
): Promise<{ keys: string[]; state: LoaderState }> {
  const loader = createLoader(
    fromShards(urls, { seed: o.seed, shuffle: o.shuffle, epochs: o.epochs, rank: r, worldSize }),
    testBatch(o.batch),
  );
  const it = loader.iterate({ resumeFrom });
  const keys: string[] = [];
  for (let i = 0; stop === undefined || i < stop; i++) {
    const x = await it.next();
    if (x.done) break;
    keys.push(...keysOf(x.value));
  }
  if (settle) for (let t = 0; t < 5; t++) await new Promise((res) => setImmediate(res));
  const state = JSON.parse(JSON.stringify(it.state())) as LoaderState;
  await it.return?.();
  return { keys, state };
}

/** A job of `worldSize` ranks, each stopped after its own count (undefined: runs to the end). */
async function job(
  o: JobOptions,
  worldSize: number,
  stops: readonly (number | undefined)[],
  resumeFrom?: MergedLoaderState,
  settle = true,
): Promise<{ keys: string[]; states: LoaderState[] }> {
  const runs = [];
  for (let r = 0; r < worldSize; r++) runs.push(await rank(o, r, worldSize, stops[r], resumeFrom, settle));
  return { keys: runs.flatMap((x) => x.keys), states: runs.map((x) => x.state) };
}

const roundTrip = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('mergeLoaderStates: resume with another number of ranks', () => {
  it('4 ranks stopped, resumed with 3 and with 6: the union is every sample left, each once', async () => {
    const o = { seed: 11, shuffle: 6, epochs: 2, batch: 3 };
    const before = await job(o, 4, [2, 7, 0, 4]);
    const merged = roundTrip(mergeLoaderStates(before.states));
    for (const m of [3, 6]) {
      const after = await job(o, m, [], merged);
      assert.deepEqual(counts([...before.keys, ...after.keys]), expected(2), `resumed with ${m}`);
      // each sample the old ranks had not delivered comes once, and nothing they delivered comes again
      const left = counts(after.keys);
      for (const [k, n] of counts(before.keys)) assert.equal((left.get(k) ?? 0) + n, 2, k);
    }
  });

  it('passes after the stopped ones are exactly those of a job started with the new number of ranks', async () => {
    const o = { seed: 5, shuffle: 0, epochs: 3, batch: 1 };
    const before = await job(o, 4, [3, 1, 5, 2]);
    const merged = mergeLoaderStates(before.states);
    // the passes in progress: from the oldest undelivered sample to the newest pass a rank started
    const lastLeft = merged.passes.at(-1)?.pass ?? -1;
    assert.ok(
      merged.nextPass === 0 && lastLeft >= 0 && lastLeft <= 1,
      JSON.stringify(merged.passes.map((p) => p.pass)),
    );
    for (let r = 0; r < 3; r++) {
      const resumed = await rank(o, r, 3, undefined, merged);
      const fresh = await rank(o, r, 3, undefined);
      const firstPass = await rank({ ...o, epochs: lastLeft + 1 }, r, 3, undefined);
      // a fresh run's passes after those are the end of the resumed run, after its share of what they left
      const later = fresh.keys.slice(firstPass.keys.length);
      assert.ok(later.length > 0);
      assert.deepEqual(resumed.keys.slice(resumed.keys.length - later.length), later, `rank ${r}`);
      assert.notDeepEqual(resumed.keys.slice(0, resumed.keys.length - later.length), firstPass.keys);
    }
  });

  it('any layouts, stops, buffers, batches and epochs; merged twice in a row (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.nat(1000),
          shuffle: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
          epochs: fc.integer({ min: 1, max: 3 }),
          batch: fc.integer({ min: 1, max: 4 }),
          n: fc.integer({ min: 1, max: 5 }),
          m: fc.integer({ min: 1, max: 7 }),
          k: fc.integer({ min: 1, max: 6 }),
          stops1: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 5, maxLength: 5 }),
          stops2: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 7, maxLength: 7 }),
          settle: fc.boolean(),
        }),
        async (p) => {
          const o = { seed: p.seed, shuffle: p.shuffle, epochs: p.epochs, batch: p.batch };
          const first = await job(o, p.n, p.stops1, undefined, p.settle);
          const second = await job(o, p.m, p.stops2, roundTrip(mergeLoaderStates(first.states)), p.settle);
          const third = await job(o, p.k, [], roundTrip(mergeLoaderStates(second.states)));
          assert.deepEqual(counts([...first.keys, ...second.keys, ...third.keys]), expected(p.epochs));
          // the accounting of the whole job lives on in rank 0 of the last one, plus what the others counted
          const yielded = third.states.reduce((n, s) => n + s.accounting.yielded, 0);
          assert.equal(yielded, p.epochs * allKeys.length);
        },
      ),
      { numRuns: 40, seed: 1515 },
    );
  });

  it('a state saved after an elastic resume resumes exactly with the same ranks', async () => {
    const o = { seed: 9, shuffle: 4, epochs: 2, batch: 2 };
    const before = await job(o, 4, [3, 0, 6, 1]);
    const merged = roundTrip(mergeLoaderStates(before.states));
    const partial = await job(o, 6, [1, 2, 0, 3, 1, 2], merged);
    assert.ok(partial.states.some((s) => s.resumedFrom !== undefined));
    const rest = [];
    for (let r = 0; r < 6; r++) rest.push(...(await rank(o, r, 6, undefined, partial.states[r])).keys);
    assert.deepEqual(counts([...before.keys, ...partial.keys, ...rest]), expected(2));
  });

  it('refuses states that cannot be merged, naming why', async () => {
    const o = { seed: 3, shuffle: 0, epochs: 1, batch: 1 };
    const four = await job(o, 4, [1, 1, 1, 1]);
    const is = (re: RegExp) => (e: unknown) =>
      e instanceof RangeError && /^Cannot merge loader states as /.test(e.message) && re.test(e.message);
    assert.throws(() => mergeLoaderStates(four.states.slice(1)), is(/every rank .*missing slot\(s\) 0/));
    assert.throws(() => mergeLoaderStates([...four.states, at(four.states, 0)]), is(/once/));
    const other = await job({ ...o, seed: 4 }, 4, [1, 1, 1, 1]);
    assert.throws(
      () => mergeLoaderStates([at(other.states, 0), ...four.states.slice(1)]),
      is(/other shards or options/),
    );
    const two = await job(o, 2, [1, 1]);
    assert.throws(() => mergeLoaderStates([at(two.states, 0), ...four.states.slice(1)]), is(/another layout/));
    const old: LoaderState = { ...at(four.states, 0), layout: undefined };
    assert.throws(() => mergeLoaderStates([old, ...four.states.slice(1)]), is(/older ndaflow/));
    assert.throws(() => mergeLoaderStates([]), RangeError);
    assert.throws(() => mergeLoaderStates('x' as unknown as LoaderState[]), TypeError);
    const merged = mergeLoaderStates(four.states);
    assert.throws(
      () => createLoader(fromShards(urls, { seed: 4, rank: 0, worldSize: 3 })).iterate({ resumeFrom: merged }),
      (e: unknown) => e instanceof RangeError && /other shards or options/.test(e.message),
    );
    assert.throws(
      () =>
        createLoader(fromShards(urls, { seed: 3, rank: 0, worldSize: 3, resampled: true })).iterate({
          resumeFrom: merged,
        }),
      RangeError,
    );
  });
});

describe('mergeLoaderStates: simulated ranks as processes', () => {
  const child = fileURLToPath(new URL('../fixtures/elastic-rank-child.js', import.meta.url));

  /** Starts `worldSize` child processes with RANK/WORLD_SIZE; resolves with each one's keys and state file. */
  async function processes(
    worldSize: number,
    stops: readonly number[],
    resume?: string,
    tag = `w${worldSize}`,
  ): Promise<{ keys: string[]; states: LoaderState[] }> {
    const options = join(dir, 'job.json');
    writeFileSync(options, JSON.stringify({ spec: urls.join('::'), seed: 21, shuffle: 5, epochs: 2, batch: 2 }));
    const runs = await Promise.all(
      Array.from({ length: worldSize }, (_, r) => {
        const out = join(dir, `${tag}-rank${r}.json`);
        const args = [child, options, out, String(stops[r] ?? -1), ...(resume ? [resume] : [])];
        return new Promise<{ keys: string[]; state: LoaderState }>((resolve, reject) => {
          const p = spawn(process.execPath, args, {
            env: { ...process.env, RANK: String(r), WORLD_SIZE: String(worldSize) },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
          p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
          p.on('error', reject);
          p.on('close', (code) => {
            if (code !== 0) reject(new Error(`rank ${r} of ${worldSize} exited with ${code}: ${stderr}`));
            else
              resolve({
                keys: [...stdout.matchAll(/^key (.*)$/gm)].map((m) => at(m, 1)),
                state: JSON.parse(readFileSync(out, 'utf8')) as LoaderState,
              });
          });
        });
      }),
    );
    return { keys: runs.flatMap((x) => x.keys), states: runs.map((x) => x.state) };
  }

  it('4 processes stop, their merged state resumes 3 processes and 6 processes: union exact, no duplicate', async () => {
    const before = await processes(4, [5, 1, 9, 3]);
    assert.deepEqual(
      before.states.map((s) => [s.layout?.rank, s.layout?.worldSize]),
      [
        [0, 4],
        [1, 4],
        [2, 4],
        [3, 4],
      ],
    );
    const mergedPath = join(dir, 'merged.json');
    writeFileSync(mergedPath, JSON.stringify(mergeLoaderStates(before.states)));
    for (const m of [3, 6]) {
      const after = await processes(m, [], mergedPath);
      assert.deepEqual(counts([...before.keys, ...after.keys]), expected(2), `resumed with ${m} processes`);
    }
  });
});
