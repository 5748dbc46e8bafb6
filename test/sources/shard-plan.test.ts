import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planShards } from '../../sources/shard-plan.js';

const urls = (n: number) => Array.from({ length: n }, (_, i) => `s${i}.tar`);

describe('planShards', () => {
  it('shuffles the shard order per pass, the same for the same seed', () => {
    const u = urls(20);
    const p0 = planShards(u, 0, { seed: 1 });
    assert.deepEqual(planShards(u, 0, { seed: 1 }), p0);
    assert.notDeepEqual(planShards(u, 1, { seed: 1 }), p0);
    assert.notDeepEqual(planShards(u, 0, { seed: 2 }), p0);
    assert.deepEqual([...p0].sort(), [...u].sort());
    assert.deepEqual(planShards(u, 3, { seed: 1, shuffleShards: false }), u);
  });

  it('splits the shards of a pass into a partition over ranks x workers (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(1000),
        fc.nat(5),
        (n, worldSize, numWorkers, seed, pass) => {
          fc.pre(n >= worldSize * numWorkers);
          const all: string[] = [];
          for (let rank = 0; rank < worldSize; rank++) {
            for (let worker = 0; worker < numWorkers; worker++)
              all.push(...planShards(urls(n), pass, { seed, rank, worldSize, worker, numWorkers }));
          }
          assert.deepEqual(all.sort(), urls(n).sort());
        },
      ),
    );
  });

  it('a slot without a shard is a RangeError naming the counts', () => {
    assert.throws(
      () => planShards(urls(3), 0, { seed: 1, rank: 3, worldSize: 4 }),
      (e: unknown) =>
        e instanceof RangeError &&
        /Cannot split 3 shard\(s\) over 4 rank\(s\) x 1 worker\(s\) as rank 3 worker 0 would get no shard/.test(
          e.message,
        ),
    );
    assert.throws(
      () => planShards(urls(4), 0, { seed: 1, rank: 1, worldSize: 2, worker: 1, numWorkers: 3 }),
      /over 2 rank\(s\) x 3 worker\(s\)/,
    );
  });

  it('equalLength gives every slot ceil(n / slots) shards, wrapping around', () => {
    for (const [n, slots] of [
      [3, 4],
      [5, 2],
      [4, 4],
      [7, 3],
    ] as const) {
      const plans = Array.from({ length: slots }, (_, rank) =>
        planShards(urls(n), 0, { seed: 9, rank, worldSize: slots, equalLength: true }),
      );
      for (const p of plans) assert.equal(p.length, Math.ceil(n / slots));
      assert.deepEqual([...new Set(plans.flat())].sort(), urls(n).sort()); // every shard is read
    }
  });

  it('resampled draws with replacement, per pass and slot, deterministically', () => {
    const u = urls(10);
    const a = planShards(u, 0, { seed: 5, resampled: true, rank: 0, worldSize: 20 });
    assert.equal(a.length, 10);
    assert.deepEqual(planShards(u, 0, { seed: 5, resampled: true, rank: 0, worldSize: 20 }), a);
    assert.notDeepEqual(planShards(u, 1, { seed: 5, resampled: true, rank: 0, worldSize: 20 }), a);
    assert.notDeepEqual(planShards(u, 0, { seed: 5, resampled: true, rank: 1, worldSize: 20 }), a);
    assert.ok(new Set(a).size < 10 || a.some((x, i) => x !== u[i]));
  });

  it('validates ranks and workers', () => {
    assert.throws(() => planShards(urls(4), 0, { seed: 1, rank: 2, worldSize: 2 }), RangeError);
    assert.throws(() => planShards(urls(4), 0, { seed: 1, worker: -1 }), RangeError);
    assert.throws(() => planShards([], 0, { seed: 1 }), RangeError);
  });
});
