import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { concatMap, filter, map, mergeMap, of, type OperatorFunction } from 'rxjs';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import type { LoaderState } from '../../sources/loader-state.js';
import type { Sample } from '../../sources/sample.js';
import { tempDir } from '../helpers/temp-dir.js';
import { keysOf, writeShards } from './fixtures.js';

const dir = tempDir();
const data = await writeShards(dir, 3, 40); // 120 samples
const cls = (s: Sample) => Number(String(s.cls));

/** Stateless stock operators of pure functions (the resume contract of issue 11). */
const graphs: Record<string, () => OperatorFunction<Sample, Sample>[]> = {
  filter: () => [filter((s: Sample) => cls(s) % 3 !== 0)],
  'filter, map': () => [filter((s: Sample) => cls(s) % 4 !== 1), map((s: Sample) => ({ ...s, twice: cls(s) * 2 }))],
  'concatMap (async), filter': () => [
    concatMap(async (s: Sample) => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      return s;
    }),
    filter((s: Sample) => cls(s) % 5 !== 2),
  ],
  'mergeMap (pure, 4), filter': () => [
    mergeMap((s: Sample) => of({ ...s }), 4),
    filter((s: Sample) => cls(s) % 2 === 0),
  ],
};

async function keysFrom(
  ops: OperatorFunction<Sample, Sample>[],
  shuffle: number,
  stops: readonly number[],
): Promise<string[]> {
  const loader = createLoader(fromShards(data.spec, { seed: 3, shuffle }), ops).with({ prefetch: 6 });
  const keys: string[] = [];
  let state: LoaderState | undefined;
  for (const stop of stops) {
    const it = loader.iterate({ resumeFrom: state });
    for (let i = 0; i < stop; i++) {
      const r = await it.next();
      if (r.done) break;
      keys.push(...keysOf(r.value));
    }
    for (let t = 0; t < 5; t++) await new Promise((r) => setImmediate(r)); // let the pipeline read ahead
    state = JSON.parse(JSON.stringify(it.state())) as LoaderState;
    await it.return?.();
  }
  const it = loader.iterate({ resumeFrom: state });
  for await (const item of it) keys.push(...keysOf(item));
  const a = it.accounting();
  assert.equal(a.lost, 0);
  assert.equal(a.seen, a.yielded + Object.values(a.skipped).reduce((x, y) => x + y, 0), JSON.stringify(a));
  return keys;
}

describe('createLoader: exact resume through stateless stock operators', () => {
  for (const [name, ops] of Object.entries(graphs)) {
    it(`${name}: stops anywhere, with or without a shuffle buffer, resume to the uninterrupted keys (property)`, async () => {
      const whole = new Map<number, string[]>();
      for (const shuffle of [0, 30]) whole.set(shuffle, await keysFrom(ops(), shuffle, []));
      assert.ok((whole.get(0) as string[]).length < 120, 'the graph drops samples');
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(0, 30),
          fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 3 }),
          async (shuffle, stops) => {
            assert.deepEqual(await keysFrom(ops(), shuffle, stops), whole.get(shuffle));
          },
        ),
        { numRuns: 8, seed: 11 },
      );
    });
  }
});
