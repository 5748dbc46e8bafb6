import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { fromShards, type FromShardsOptions, type ShardSource } from '../../sources/from-shards.js';
import { createLoader, type Loader } from '../../sources/loader.js';
import type { LoaderState } from '../../sources/loader-state.js';
import type { Accounting } from '../../sources/ledger.js';
import { tempDir } from '../helpers/temp-dir.js';
import { keysOf, testBatch, writeShards, writeDuplicateFieldTar } from './fixtures.js';

const dir = tempDir();
/** Datasets of 1..4 shards with uneven sizes. */
const datasets = await Promise.all(
  [[13], [7, 20], [11, 3, 17], [9, 9, 1, 14]].map(async (sizes, d) => {
    const specs: string[] = [];
    for (let s = 0; s < sizes.length; s++)
      specs.push((await writeShards(dir, 1, sizes[s] as number, { prefix: `d${d}s${s}` })).paths[0] as string);
    return specs;
  }),
);

function source(spec: readonly string[], options: FromShardsOptions & { withEpoch?: number }): ShardSource {
  const { withEpoch, ...rest } = options;
  const s = fromShards(spec, rest);
  return withEpoch ? s.withEpoch(withEpoch) : s;
}

async function all(
  loader: Loader<unknown>,
  resumeFrom?: LoaderState,
): Promise<{ keys: string[]; accounting: Accounting }> {
  const it = loader.iterate({ resumeFrom });
  const keys: string[] = [];
  for await (const item of it) keys.push(...keysOf(item));
  return { keys, accounting: it.accounting() };
}

/** Runs with stops after each count in `stops` (saving the state as JSON and resuming a new iteration each time). */
async function interrupted(
  loader: Loader<unknown>,
  stops: readonly number[],
  settle = true,
): Promise<{ keys: string[]; accounting: Accounting }> {
  const keys: string[] = [];
  let state: LoaderState | undefined;
  for (const stop of stops) {
    const it = loader.iterate({ resumeFrom: state });
    for (let i = 0; i < stop; i++) {
      const r = await it.next();
      if (r.done) break;
      keys.push(...keysOf(r.value));
    }
    // let the source read ahead (samples in flight and in the operators) before saving, or save at once
    if (settle) for (let t = 0; t < 5; t++) await new Promise((r) => setImmediate(r));
    state = JSON.parse(JSON.stringify(it.state())) as LoaderState;
    await it.return?.();
  }
  const rest = await all(loader, state);
  return { keys: [...keys, ...rest.keys], accounting: rest.accounting };
}

const skippedTotal = (a: Accounting) => Object.values(a.skipped).reduce((x, y) => x + y, 0);

describe('loader state: exact resume', () => {
  it('continues exactly where it stopped, for any stop, seed, buffer, batch, epochs and shards (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          dataset: fc.integer({ min: 0, max: 3 }),
          seed: fc.nat(1000),
          shuffle: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
          batch: fc.integer({ min: 1, max: 7 }),
          epochs: fc.integer({ min: 1, max: 3 }),
          withEpoch: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
          prefetch: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
          stops: fc.array(fc.integer({ min: 0, max: 25 }), { minLength: 1, maxLength: 3 }),
          settle: fc.boolean(),
        }),
        async (p) => {
          const src = source(datasets[p.dataset] as string[], {
            seed: p.seed,
            shuffle: p.shuffle,
            epochs: p.epochs,
            withEpoch: p.withEpoch,
          });
          let loader = createLoader(src, testBatch(p.batch));
          if (p.prefetch) loader = loader.with({ prefetch: p.prefetch });
          const full = await all(loader);
          const resumed = await interrupted(loader, p.stops, p.settle);
          assert.deepEqual(resumed.keys, full.keys);
          const a = resumed.accounting;
          assert.equal(a.seen, a.yielded + skippedTotal(a));
          assert.equal(a.seen, full.accounting.seen);
          assert.equal(a.yielded, full.keys.length);
          assert.equal(a.lost, 0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('resumes with withEpoch(n) across epoch and pass boundaries', async () => {
    const loader = createLoader(
      source(datasets[3] as string[], { seed: 9, shuffle: 10, epochs: 4, withEpoch: 25 }),
      testBatch(3),
    );
    const full = await all(loader);
    assert.equal(full.keys.length, 100);
    for (const stops of [[8], [9], [1, 1, 1], [5, 12], [33]])
      assert.deepEqual((await interrupted(loader, stops)).keys, full.keys, String(stops));
  });

  it('keeps the accounting of skipped samples and bad shards across a resume', async () => {
    const dup = writeDuplicateFieldTar(join(dir, 'dup.tar'));
    const truncated = join(dir, 'truncated.tar');
    const whole = readFileSync(datasets[1]?.[1] as string);
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const spec = [...(datasets[2] as string[]), dup, truncated, join(dir, 'missing.tar')];
    const loader = createLoader(
      source(spec, { seed: 5, shuffle: 8, epochs: 2, handler: 'ignoreAndContinue' }),
      testBatch(4),
    );
    const full = await all(loader);
    assert.deepEqual(full.accounting.shardErrors, { 'truncated-shard': 2, 'shard-open': 2 });
    for (const stops of [[2], [7], [3, 3, 3]]) {
      const r = await interrupted(loader, stops);
      assert.deepEqual(r.keys, full.keys);
      assert.deepEqual(r.accounting.skipped, full.accounting.skipped);
      assert.deepEqual(r.accounting.shardErrors, full.accounting.shardErrors);
      assert.equal(r.accounting.seen, r.accounting.yielded + skippedTotal(r.accounting));
      assert.equal(r.accounting.lost, 0);
    }
  });

  it('a state saved before the first item, or right after the end, resumes correctly', async () => {
    const loader = createLoader(source(datasets[1] as string[], { seed: 2, shuffle: 5 }), testBatch(2));
    const full = await all(loader);
    const it = loader.iterate();
    const initial = JSON.parse(JSON.stringify(it.state())) as LoaderState;
    await it.return?.();
    assert.deepEqual((await all(loader, initial)).keys, full.keys);
    const it2 = loader.iterate({ resumeFrom: initial });
    assert.deepEqual(it2.state(), initial, 'a resumed iteration reports its state before it starts');
    await it2.return?.();
    const done = loader.iterate();
    for await (const _ of done);
    const end = await all(loader, JSON.parse(JSON.stringify(done.state())) as LoaderState);
    assert.deepEqual(end.keys, []);
    assert.equal(end.accounting.yielded, full.keys.length);
  });

  it('refuses a state saved for other shards or options', async () => {
    const a = createLoader(source(datasets[1] as string[], { seed: 2 }));
    const it = a.iterate();
    await it.next();
    const state = it.state();
    await it.return?.();
    const b = createLoader(source(datasets[1] as string[], { seed: 3 }));
    assert.throws(
      () => b.iterate({ resumeFrom: state }),
      (e: unknown) => e instanceof RangeError && /fingerprint/.test(e.message),
    );
    assert.throws(() => a.iterate({ resumeFrom: { ...state, version: 2 as 1 } }), RangeError);
  });
});

describe('loader state: kill -9', () => {
  const child = fileURLToPath(new URL('../fixtures/resume-child.js', import.meta.url));

  /** Runs the child; kills it with SIGKILL when it reports item `killAfter` (never, if undefined), before it may take another. */
  function runChild(
    checkpoint: string,
    options: string,
    killAfter?: number,
  ): Promise<{ killed: boolean; items: number; stdout: string }> {
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [child, checkpoint, options], { stdio: ['pipe', 'pipe', 'inherit'] });
      let stdout = '';
      let items = 0;
      p.stdin.on('error', () => undefined); // the child may be gone when the last line goes out
      p.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const now = (stdout.match(/^item /gm) ?? []).length;
        // the child waits for one line per item: it cannot run past the item it is killed at
        for (; items < now; items++) {
          if (killAfter !== undefined && items + 1 >= killAfter) {
            p.kill('SIGKILL');
            items = now;
            return;
          }
          p.stdin.write('next\n');
        }
      });
      p.on('error', reject);
      p.on('close', (_code, signal) => resolve({ killed: signal === 'SIGKILL', items, stdout }));
    });
  }

  for (const variant of [
    { name: 'shuffle buffer and batches', seed: 21, shuffle: 30, epochs: 2, batch: 5, kills: [5, 3, 4] },
    { name: 'withEpoch', seed: 22, shuffle: 10, epochs: 3, batch: 4, samplesPerEpoch: 30, kills: [3, 9] },
  ]) {
    it(`a process killed with SIGKILL resumes from its checkpoint: no sample repeated, none lost (${variant.name})`, async () => {
      const spec = (datasets[3] as string[]).join('::');
      const options = join(dir, `child-${variant.seed}.json`);
      writeFileSync(options, JSON.stringify({ spec, ...variant }));
      let src = fromShards(spec, { seed: variant.seed, shuffle: variant.shuffle, epochs: variant.epochs });
      if (variant.samplesPerEpoch) src = src.withEpoch(variant.samplesPerEpoch);
      const expected = await all(createLoader(src, testBatch(variant.batch)));
      const checkpoint = join(dir, `checkpoint-${variant.seed}.json`);
      for (const k of variant.kills) {
        const r = await runChild(checkpoint, options, k);
        assert.equal(r.killed, true, `killed after ${k} items: ${r.stdout}`);
      }
      const last = await runChild(checkpoint, options);
      assert.equal(last.killed, false);
      const final = JSON.parse(readFileSync(checkpoint, 'utf8')) as {
        keys: string[];
        done: boolean;
        state: LoaderState;
      };
      assert.equal(final.done, true);
      assert.deepEqual(final.keys, expected.keys);
      const a = JSON.parse(/^done (.*)$/m.exec(last.stdout)?.[1] ?? '{}') as Accounting;
      assert.equal(a.seen, a.yielded + skippedTotal(a));
      assert.equal(a.yielded, expected.keys.length);
      assert.equal(a.lost, 0);
    });
  }
});
