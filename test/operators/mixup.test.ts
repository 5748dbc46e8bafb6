import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize } from 'rxjs';
import { mixup, mixupTransform, type MixupBatch } from '../../operators/mixup.js';
import { mixUint8, mixUint8Js, simdMixAvailable } from '../../operators/image/nda-mix-kernel.js';
import { batchRandom, derangement, type NdaContext } from '../../operators/internal/nda-transform.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Batch, type ImageBatch } from '../../sources/sample.js';
import { batchOf, keysOf, pixels, run, sameImages } from '../helpers/nda-batch.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const ctx = (n: number, seed = 1, epoch = 0): NdaContext => ({ seed, epoch, keys: keysOf(n) });

/** The naive mixup of image i with image j at lambda: 8-bit rounded half up, float32 not rounded. */
function expected(input: ImageBatch, i: number, j: number, lambda: number): number[] {
  const per = input.shape[1] * input.shape[2] * input.shape[3];
  const float = input.data instanceof Float32Array;
  return Array.from({ length: per }, (_, q) => {
    const v = lambda * (input.data[i * per + q] as number) + (1 - lambda) * (input.data[j * per + q] as number);
    return float ? Math.fround(v) : Math.floor(v + 0.5);
  });
}

describe('mixupTransform', () => {
  it('mixes every image with its partner at one lambda per batch (property: naive reference, range, shape, dtype)', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 2, max: 5 }),
          H: fc.integer({ min: 1, max: 12 }),
          W: fc.integer({ min: 1, max: 12 }),
          C: fc.integer({ min: 1, max: 4 }),
          float: fc.boolean(),
          seed: fc.nat(),
          alpha: fc.constantFrom(0.05, 0.5, 1, 25, 1000),
        }),
        ({ n, H, W, C, float, seed, alpha }) => {
          const input = pixels([n, H, W, C], float ? 'float32' : 'uint8', seed + 11);
          const before = input.data.slice();
          const r = mixupTransform({ alpha }).apply(input, ctx(n, seed));
          assert.deepEqual(r.images.shape, input.shape);
          assert.equal(r.images.data.constructor, input.data.constructor);
          assert.ok(r.lambda >= 0 && r.lambda <= 1);
          assert.equal(r.lambda * 32768, Math.round(r.lambda * 32768), 'lambda is a multiple of 2^-15');
          const per = H * W * C;
          for (let i = 0; i < n; i++) {
            const j = r.partners[i] as number;
            assert.notEqual(j, i);
            assert.deepEqual(
              Array.from(r.images.data.subarray(i * per, (i + 1) * per)),
              expected(input, i, j, r.lambda),
            );
          }
          assert.deepEqual(input.data, before);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("draws the partners then lambda from (seed, 'mixup', epoch, keys), lambda ~ Beta(alpha, alpha)", () => {
    const context = { seed: 21, epoch: 1, keys: ['a', 'b', 'c'] };
    const r = mixupTransform().apply(pixels([3, 2, 2, 3]), context);
    assert.deepEqual(r.partners, derangement(3, batchRandom('mixup', context)));
    // Beta(25, 25): mean 1/2, sd sqrt(1/204) = 0.070.
    const lambdas = Array.from(
      { length: 600 },
      (_, b) => mixupTransform().apply(pixels([2, 1, 1, 1]), ctx(2, 5, b)).lambda,
    );
    const mean = lambdas.reduce((s, v) => s + v, 0) / lambdas.length;
    const sd = Math.sqrt(lambdas.reduce((s, v) => s + (v - mean) ** 2, 0) / lambdas.length);
    assert.ok(Math.abs(mean - 0.5) < 0.015, `mean ${mean}`);
    assert.ok(sd > 0.06 && sd < 0.08, `sd ${sd}`);
    // Beta(1, 1) is uniform: sd 0.289.
    const uniform = Array.from(
      { length: 600 },
      (_, b) => mixupTransform({ alpha: 1 }).apply(pixels([2, 1, 1, 1]), ctx(2, 5, b)).lambda,
    );
    const m1 = uniform.reduce((s, v) => s + v, 0) / uniform.length;
    const sd1 = Math.sqrt(uniform.reduce((s, v) => s + (v - m1) ** 2, 0) / uniform.length);
    assert.ok(Math.abs(m1 - 0.5) < 0.04 && sd1 > 0.26 && sd1 < 0.32, `uniform: mean ${m1}, sd ${sd1}`);
  });

  it('handles lambda = 0 and lambda = 1 exactly (tiny alpha)', () => {
    const input = pixels([3, 8, 8, 3]);
    const seen = new Set<number>();
    for (let b = 0; b < 200; b++) {
      const r = mixupTransform({ alpha: 0.01 }).apply(input, ctx(3, 9, b));
      if (r.lambda === 0 || r.lambda === 1) seen.add(r.lambda);
      for (let i = 0; i < 3; i++) {
        const per = 192;
        assert.deepEqual(
          Array.from(r.images.data.subarray(i * per, (i + 1) * per)),
          expected(input, i, r.partners[i] as number, r.lambda),
        );
      }
    }
    assert.deepEqual([...seen].sort(), [0, 1]);
  });

  it('the SIMD kernel computes the same bytes as the JavaScript loop', () => {
    assert.equal(typeof simdMixAvailable(), 'boolean');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 32767 }),
        fc.nat(),
        (len, weight, seed) => {
          const src = pixels([3, 1, 1, len], 'uint8', seed + 1).data as Uint8Array;
          const a = new Uint8Array(len + 5);
          const b = new Uint8Array(len + 5);
          mixUint8(a, 5, src, 0, 2 * len, len, weight);
          mixUint8Js(b, 5, src, 0, 2 * len, len, weight);
          assert.deepEqual(a, b);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a batch of one image, and bad options', () => {
    assert.throws(() => mixupTransform().apply(pixels([1, 2, 2, 1]), ctx(1)), RangeError);
    assert.throws(() => mixupTransform({ alpha: 0 }), {
      name: 'RangeError',
      message: 'Cannot create a mixup transform as alpha must be a finite number > 0: current value is 0',
    });
    assert.throws(() => mixupTransform({ alpha: -1 }), RangeError);
    assert.throws(() => mixupTransform({ alpha: Infinity }), RangeError);
    assert.throws(() => mixupTransform({ alpha: Number.NaN }), TypeError);
    assert.throws(() => mixupTransform({ alpha: '25' as never }), TypeError);
    assert.throws(() => mixupTransform({ beta: 1 } as never), TypeError);
    assert.deepEqual(mixupTransform().options, { alpha: 25, lambda: null, partners: 'derangement' });
  });
});

describe('mixup', () => {
  it('records each partner by key and the batch lambda, and keeps the rest of the batch', async () => {
    const ledger = new RecordingLedger();
    const png = pixels([5, 8, 8, 3]);
    const input = batchOf(ledger, ['a', 'b', 'c', 'd', 'e'], { png, cls: Float64Array.from([0, 1, 2, 3, 4]) }, 2);
    const [out] = await run([input], mixup({ seed: 3 }));
    assert.ok(out);
    const r = mixupTransform().apply(png, { seed: 3, epoch: 2, keys: input.__key__ });
    assert.ok(sameImages(out.png as ImageBatch, r.images));
    assert.deepEqual(out.__mixup__, { lambda: r.lambda });
    assert.deepEqual(
      out.__partner__,
      Array.from(r.partners, (p) => input.__key__[p]),
    );
    assert.equal(out[LINEAGE], input[LINEAGE]);
    assert.equal(out.cls, input.cls);
    // Every negative is the mix of its image and the recorded partner at the recorded lambda.
    for (let i = 0; i < 5; i++) {
      const j = input.__key__.indexOf(out.__partner__[i] as string);
      assert.deepEqual(
        Array.from((out.png as ImageBatch).data.subarray(i * 192, (i + 1) * 192)),
        expected(png, i, j, out.__mixup__.lambda),
      );
    }
  });

  it('is deterministic given the seed; reports a batch of one image through the handler', async () => {
    const ledger = new RecordingLedger();
    const mk = (keys: string[]): Batch => batchOf(ledger, keys, { png: pixels([keys.length, 4, 4, 3]) });
    const a = (await run([mk(keysOf(4))], mixup({ seed: 1 })))[0] as MixupBatch;
    const b = (await run([mk(keysOf(4))], mixup({ seed: 1 })))[0] as MixupBatch;
    assert.ok(sameImages(a.png as ImageBatch, b.png as ImageBatch));
    assert.equal(a.__mixup__.lambda, b.__mixup__.lambda);
    const c = (await run([mk(keysOf(4))], mixup({ seed: 2 })))[0] as MixupBatch;
    assert.notEqual(a.__mixup__.lambda, c.__mixup__.lambda);
    await assert.rejects(
      run([mk(['alone'])], mixup({ seed: 1 })),
      (e: unknown) => e instanceof SampleError && e.reason === 'mixup',
    );
  });

  it('validates its options when created, and releases its source on unsubscribe', () => {
    assert.throws(() => mixup({ alpha: 0, seed: 1 }), RangeError);
    assert.throws(() => mixup({ seed: 1, lambda: 2 }), RangeError);
    assert.throws(() => mixup({ seed: 1, lamda: 0.5 } as never), TypeError);
    const subject = new Subject<Batch>();
    let finalized = false;
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        mixup({ seed: 1 }),
      )
      .subscribe();
    sub.unsubscribe();
    assert.equal(finalized, true);
    assert.equal(subject.observed, false);
  });
});
