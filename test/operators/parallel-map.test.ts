import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Observable, Subject, firstValueFrom, from, take, toArray } from 'rxjs';
import { parallelMap } from '../../operators/parallel-map.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Sample } from '../../sources/sample.js';
import { at } from '../helpers/at.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const collect = <T>(obs: Observable<T>): Promise<T[]> => firstValueFrom(obs.pipe(toArray()));

/** Resolves after `n` hops through the microtask queue (a deterministic "delay"). */
async function hops(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** A promise with its resolve/reject exposed. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks and timers run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('parallelMap', () => {
  it('maps values in input order with their index, sync and async results alike', async () => {
    const out = await collect(
      from([1, 2, 3, 4, 5]).pipe(
        parallelMap((x: number, i) => (x % 2 === 0 ? hops(6 - x).then(() => x * 10 + i) : x * 10 + i), {
          concurrency: 3,
        }),
      ),
    );
    assert.deepEqual(out, [10, 21, 32, 43, 54]);
  });

  it('never runs more than concurrency calls, and reaches the bound', async () => {
    for (const concurrency of [1, 2, 5]) {
      let running = 0;
      let most = 0;
      const out = await collect(
        from(Array.from({ length: 40 }, (_, i) => i)).pipe(
          parallelMap(
            async (x: number) => {
              running++;
              most = Math.max(most, running);
              await hops(1 + ((x * 7) % 5));
              running--;
              return x;
            },
            { concurrency },
          ),
        ),
      );
      assert.deepEqual(
        out,
        Array.from({ length: 40 }, (_, i) => i),
      );
      assert.equal(most, concurrency);
    }
  });

  it('ordered: finished results wait behind a slow one in a bounded reorder window while other slots keep working', async () => {
    const gates = Array.from({ length: 8 }, () => deferred<number>());
    const started: number[] = [];
    const got: number[] = [];
    const sub = from([0, 1, 2, 3, 4, 5, 6, 7])
      .pipe(
        parallelMap(
          (x: number) => {
            started.push(x);
            return at(gates, x).promise;
          },
          { concurrency: 2, reorderWindow: 2 },
        ),
      )
      .subscribe((v) => got.push(v));
    assert.deepEqual(started, [0, 1]);
    at(gates, 1).resolve(1);
    await settle();
    // 1 waits behind 0 in the window; a slot is free, so 2 starts.
    assert.deepEqual(started, [0, 1, 2]);
    at(gates, 2).resolve(2);
    await settle();
    // 1 and 2 wait, 0 and 3 run: 4 held = concurrency + reorderWindow, so nothing more starts.
    assert.deepEqual(started, [0, 1, 2, 3]);
    at(gates, 3).resolve(3);
    await settle();
    assert.deepEqual(started, [0, 1, 2, 3]);
    assert.deepEqual(got, []);
    at(gates, 0).resolve(0);
    await settle();
    assert.deepEqual(got, [0, 1, 2, 3]);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
    sub.unsubscribe();
  });

  it('ordered with reorderWindow 0: waiting results count against concurrency', async () => {
    const gates = Array.from({ length: 6 }, () => deferred<number>());
    const started: number[] = [];
    const got: number[] = [];
    const sub = from([0, 1, 2, 3, 4, 5])
      .pipe(
        parallelMap(
          (x: number) => {
            started.push(x);
            return at(gates, x).promise;
          },
          { concurrency: 3, reorderWindow: 0 },
        ),
      )
      .subscribe((v) => got.push(v));
    assert.deepEqual(started, [0, 1, 2]);
    at(gates, 1).resolve(1);
    at(gates, 2).resolve(2);
    await settle();
    assert.deepEqual(started, [0, 1, 2]);
    assert.deepEqual(got, []);
    at(gates, 0).resolve(0);
    await settle();
    assert.deepEqual(got, [0, 1, 2]);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
    sub.unsubscribe();
  });

  it('unordered: emits results as they finish', async () => {
    const gates = Array.from({ length: 3 }, () => deferred<string>());
    const done = collect(
      from([0, 1, 2]).pipe(parallelMap((x: number) => at(gates, x).promise, { concurrency: 3, ordered: false })),
    );
    at(gates, 2).resolve('c');
    await settle();
    at(gates, 0).resolve('a');
    await settle();
    at(gates, 1).resolve('b');
    assert.deepEqual(await done, ['c', 'a', 'b']);
  });

  it('carries the lineage onto a new object and keeps the identity', async () => {
    const ledger = new RecordingLedger();
    const s = ledger.sample('k1', { v: 2 });
    const [out] = await collect(
      from([s]).pipe(parallelMap(async (x: Sample) => ({ w: (x.v as number) * 2 }), { concurrency: 2 })),
    );
    assert.equal((out as unknown as Sample)[LINEAGE], s[LINEAGE]);
    assert.equal((out as unknown as Sample).__key__, 'k1');
    assert.equal(out?.w, 4);
  });

  it('reraise: a failing call errors the stream with a map SampleError, settled as skipped', async () => {
    const ledger = new RecordingLedger();
    const input = [ledger.sample('a'), ledger.sample('b'), ledger.sample('c')];
    const fn = async (s: Sample) => {
      await hops(1);
      if (s.__key__ === 'b') throw new Error('boom');
      return s;
    };
    await assert.rejects(collect(from(input).pipe(parallelMap(fn, { concurrency: 2 }))), (e: unknown) => {
      assert.ok(e instanceof SampleError);
      assert.equal(e.reason, 'map');
      assert.equal(e.key, 'b');
      assert.equal(e.url, 'mem://test.tar');
      assert.match(e.message, /boom/);
      return true;
    });
    assert.deepEqual(ledger.skippedKeys('map'), ['b']);
  });

  it('keeps the reason of a SampleError the function throws, and handles a synchronous throw', async () => {
    const ledger = new RecordingLedger();
    const input = [ledger.sample('a'), ledger.sample('b')];
    const out = await collect(
      from(input).pipe(
        parallelMap(
          (s: Sample) => {
            if (s.__key__ === 'a') throw new SampleError('decode', 'bad bytes', { key: 'a' });
            return s;
          },
          { concurrency: 2, handler: 'ignoreAndContinue' },
        ),
      ),
    );
    assert.deepEqual(
      out.map((s) => s.__key__),
      ['b'],
    );
    assert.deepEqual(ledger.skippedKeys('decode'), ['a']);
  });

  it('applies each handler: continue skips and counts, stop ends cleanly at the failed item', async () => {
    const fn = async (s: Sample) => {
      await hops(s.__key__ === 'a' ? 5 : 1);
      if (s.__key__ === 'b' || s.__key__ === 'd') throw new Error(`bad ${s.__key__}`);
      return s;
    };
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      for (const [handler, keys, warned] of [
        ['warnAndContinue', ['a', 'c', 'e'], 2],
        ['ignoreAndContinue', ['a', 'c', 'e'], 0],
        ['warnAndStop', ['a'], 1],
        ['ignoreAndStop', ['a'], 0],
      ] as const) {
        warnings.length = 0;
        const ledger = new RecordingLedger();
        const input = ['a', 'b', 'c', 'd', 'e'].map((k) => ledger.sample(k));
        const out = await collect(from(input).pipe(parallelMap(fn, { concurrency: 3, handler })));
        await settle();
        assert.deepEqual(
          out.map((s) => s.__key__),
          keys,
          handler,
        );
        assert.deepEqual(ledger.skippedKeys('map'), handler.endsWith('Stop') ? ['b'] : ['b', 'd'], handler);
        assert.equal(warnings.length, warned, handler);
      }
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('refuses a primitive result for an item that carries lineage', async () => {
    const ledger = new RecordingLedger();
    await assert.rejects(
      collect(from([ledger.sample('a')]).pipe(parallelMap(async () => 3, { concurrency: 1 }))),
      /result must be an object/,
    );
    assert.deepEqual(ledger.skippedKeys('map'), ['a']);
  });

  it('early unsubscribe: aborts the signal, emits nothing more, starts no more calls', async () => {
    const subject = new Subject<number>();
    const gates = Array.from({ length: 4 }, () => deferred<number>());
    const started: number[] = [];
    const got: number[] = [];
    let signal: AbortSignal | undefined;
    const sub = subject
      .pipe(
        parallelMap(
          (x: number, _i, s) => {
            signal = s;
            started.push(x);
            return at(gates, x).promise;
          },
          { concurrency: 2 },
        ),
      )
      .subscribe((v) => got.push(v));
    for (const x of [0, 1, 2, 3]) subject.next(x);
    assert.deepEqual(started, [0, 1]);
    sub.unsubscribe();
    assert.equal(signal?.aborted, true);
    assert.equal(subject.observed, false);
    for (const g of gates) g.resolve(9);
    await settle();
    assert.deepEqual(got, []);
    assert.deepEqual(started, [0, 1]);
  });

  it('stops a synchronous source when downstream takes enough', async () => {
    let pulled = 0;
    const endless = new Observable<number>((sub) => {
      for (let i = 0; !sub.closed; i++) {
        pulled++;
        sub.next(i);
      }
    });
    const out = await collect(
      endless.pipe(
        parallelMap((x: number) => x * 2, { concurrency: 4 }),
        take(3),
      ),
    );
    assert.deepEqual(out, [0, 2, 4]);
    assert.ok(pulled <= 4, `pulled ${pulled}`);
  });

  it('passes an upstream error on, and waits for running calls before completing', async () => {
    const subject = new Subject<number>();
    const gate = deferred<number>();
    let completed = false;
    const got: number[] = [];
    subject
      .pipe(parallelMap(() => gate.promise, { concurrency: 2 }))
      .subscribe({ next: (v) => got.push(v), complete: () => (completed = true) });
    subject.next(1);
    subject.complete();
    await settle();
    assert.equal(completed, false);
    gate.resolve(7);
    await settle();
    assert.deepEqual(got, [7]);
    assert.equal(completed, true);
    await assert.rejects(
      collect(
        new Observable<number>((s) => s.error(new Error('upstream'))).pipe(
          parallelMap((x: number) => x, { concurrency: 1 }),
        ),
      ),
      /upstream/,
    );
  });

  it('errors instead of queueing more than maxQueued inputs from a push source', async () => {
    const subject = new Subject<number>();
    const never = new Promise<number>(() => {});
    const errors: unknown[] = [];
    subject
      .pipe(parallelMap(() => never, { concurrency: 1, maxQueued: 2 }))
      .subscribe({ error: (e: unknown) => errors.push(e) });
    for (const x of [0, 1, 2]) subject.next(x); // one running, two waiting
    assert.equal(errors.length, 0);
    subject.next(3);
    assert.ok(errors[0] instanceof RangeError);
    assert.match(
      errors[0].message,
      /^Cannot queue an input for parallelMap as at most maxQueued \(2\) inputs may wait/,
    );
    assert.equal(subject.observed, false);
  });

  it('declares what it holds and validates its options', () => {
    assert.equal(parallelMap((x) => x, { concurrency: 7 }).ndaflowHolds, 14);
    assert.equal(parallelMap((x) => x, { concurrency: 7, ordered: false }).ndaflowHolds, 7);
    assert.equal(parallelMap((x) => x, { concurrency: 7, reorderWindow: 1 }).ndaflowHolds, 8);
    assert.throws(() => parallelMap((x) => x, { concurrency: 0 }), {
      name: 'RangeError',
      message: 'Cannot create a parallelMap as concurrency must be >= 1: current value is 0',
    });
    assert.throws(() => parallelMap((x) => x, { concurrency: Infinity }), RangeError);
    assert.throws(() => parallelMap((x) => x, { concurrency: 1.5 }), RangeError);
    assert.throws(() => parallelMap((x) => x, {} as never), TypeError);
    assert.throws(() => parallelMap('f' as never, { concurrency: 1 }), {
      name: 'TypeError',
      message: 'Cannot create a parallelMap as fn must be a function: current value is "f"',
    });
    assert.throws(() => parallelMap((x) => x, { concurrency: 1, ordered: 'yes' as never }), TypeError);
    assert.throws(() => parallelMap((x) => x, { concurrency: 1, handler: 'maybe' as never }), TypeError);
  });

  it('property: same sequence as a sequential map (ordered), same multiset (unordered), under any delays', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 6 }), fc.boolean()), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        async (items, concurrency, ordered) => {
          let running = 0;
          let most = 0;
          const f = (x: number, i: number) => x * 3 + i;
          const out = await collect(
            from(items).pipe(
              parallelMap(
                ([x, delay, sync], i) => {
                  if (sync) return f(x, i);
                  running++;
                  most = Math.max(most, running);
                  return hops(delay).then(() => {
                    running--;
                    return f(x, i);
                  });
                },
                { concurrency, ordered },
              ),
            ),
          );
          const expected = items.map(([x], i) => f(x, i));
          if (ordered) assert.deepEqual(out, expected);
          else
            assert.deepEqual(
              [...out].sort((a, b) => a - b),
              [...expected].sort((a, b) => a - b),
            );
          assert.ok(most <= concurrency);
        },
      ),
      { numRuns: 150 },
    );
  });
});
