import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize } from 'rxjs';
import { cutmix, cutmixTransform, type CutmixBatch } from '../../operators/cutmix.js';
import { batchRandom, derangement, type NdaContext } from '../../operators/internal/nda-transform.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Batch, type ImageBatch } from '../../sources/sample.js';
import { batchOf, keysOf, pixel, pixels, run, sameImages } from '../helpers/nda-batch.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const ctx = (n: number, seed = 1, epoch = 0): NdaContext => ({ seed, epoch, keys: keysOf(n) });

describe('cutmixTransform', () => {
  it("fills one box per batch from each image's partner and leaves the rest (property)", () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 2, max: 5 }),
          H: fc.integer({ min: 1, max: 20 }),
          W: fc.integer({ min: 1, max: 20 }),
          C: fc.integer({ min: 1, max: 4 }),
          float: fc.boolean(),
          seed: fc.nat(),
          beta: fc.constantFrom(0.2, 1, 5),
        }),
        ({ n, H, W, C, float, seed, beta }) => {
          const input = pixels([n, H, W, C], float ? 'float32' : 'uint8', seed + 17);
          const before = input.data.slice();
          const r = cutmixTransform({ beta }).apply(input, ctx(n, seed));
          assert.deepEqual(r.images.shape, input.shape);
          assert.equal(r.images.data.constructor, input.data.constructor);
          const { top, left, bottom, right } = r.box;
          assert.ok(r.lambda >= 0 && r.lambda <= 1);
          // CutMix's rule: half-sides floor(S sqrt(1 - lambda)) / 2 around a centre pixel, clipped.
          const hh = Math.floor(Math.floor(H * Math.sqrt(1 - r.lambda)) / 2);
          const hw = Math.floor(Math.floor(W * Math.sqrt(1 - r.lambda)) / 2);
          const centres = (lo: number, hi: number, half: number, S: number): boolean =>
            Array.from({ length: S }, (_, c) => c).some(
              (c) => lo === Math.max(0, c - half) && hi === Math.min(S, c + half),
            );
          assert.ok(centres(top, bottom, hh, H) && centres(left, right, hw, W), JSON.stringify({ box: r.box, hh, hw }));
          for (let i = 0; i < n; i++) {
            const j = r.partners[i] as number;
            assert.notEqual(j, i);
            for (let y = 0; y < H; y++)
              for (let x = 0; x < W; x++) {
                const inside = y >= top && y < bottom && x >= left && x < right;
                assert.deepEqual(pixel(r.images, i, y, x), pixel(input, inside ? j : i, y, x));
              }
          }
          assert.deepEqual(input.data, before);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("draws partners, lambda ~ Beta(beta, beta), then the centre from (seed, 'cutmix', epoch, keys)", () => {
    const context = { seed: 6, epoch: 4, keys: ['a', 'b', 'c', 'd'] };
    const r = cutmixTransform().apply(pixels([4, 32, 32, 3]), context);
    assert.deepEqual(r.partners, derangement(4, batchRandom('cutmix', context)));
    const lambdas = Array.from(
      { length: 600 },
      (_, b) => cutmixTransform().apply(pixels([2, 4, 4, 1]), ctx(2, 3, b)).lambda,
    );
    const mean = lambdas.reduce((s, v) => s + v, 0) / lambdas.length;
    const sd = Math.sqrt(lambdas.reduce((s, v) => s + (v - mean) ** 2, 0) / lambdas.length);
    assert.ok(Math.abs(mean - 0.5) < 0.04 && sd > 0.26 && sd < 0.32, `Beta(1, 1) is uniform: mean ${mean}, sd ${sd}`);
    // Boxes are empty, partial and large, and move around.
    const boxes = new Set(
      Array.from({ length: 100 }, (_, b) =>
        JSON.stringify(cutmixTransform().apply(pixels([2, 32, 32, 1]), ctx(2, 3, b)).box),
      ),
    );
    assert.ok(boxes.size > 80);
  });

  it('refuses a batch of one image, and bad options', () => {
    assert.throws(() => cutmixTransform().apply(pixels([1, 2, 2, 1]), ctx(1)), RangeError);
    assert.throws(() => cutmixTransform({ beta: 0 }), {
      name: 'RangeError',
      message: 'Cannot create a cutmix transform as beta must be a finite number > 0: current value is 0',
    });
    assert.throws(() => cutmixTransform({ beta: -2 }), RangeError);
    assert.throws(() => cutmixTransform({ alpha: 1 } as never), TypeError);
    assert.deepEqual(cutmixTransform().options, { beta: 1, partners: 'derangement' });
  });
});

describe('cutmix', () => {
  it('records partners by key, lambda and the box of each field, and keeps the rest of the batch', async () => {
    const ledger = new RecordingLedger();
    const png = pixels([4, 16, 16, 3]);
    const mask = pixels([4, 32, 32, 1], 'uint8', 9);
    const input = batchOf(ledger, ['a', 'b', 'c', 'd'], { png, 'seg.png': mask, cls: Float64Array.from([0, 1, 2, 3]) });
    const [out] = await run<CutmixBatch>([input], cutmix({ seed: 12 }));
    assert.ok(out);
    const context = { seed: 12, epoch: 0, keys: input.__key__ };
    const a = cutmixTransform().apply(png, context);
    const b = cutmixTransform().apply(mask, context);
    assert.ok(sameImages(out.png as ImageBatch, a.images));
    assert.ok(sameImages(out['seg.png'] as ImageBatch, b.images));
    assert.equal(a.lambda, b.lambda, 'one lambda per batch, for every field');
    assert.deepEqual(out.__cutmix__, { lambda: a.lambda, boxes: { png: a.box, 'seg.png': b.box } });
    assert.deepEqual(
      out.__partner__,
      Array.from(a.partners, (p) => input.__key__[p]),
    );
    assert.deepEqual(a.partners, b.partners);
    assert.equal(out[LINEAGE], input[LINEAGE]);
    assert.equal(out.cls, input.cls);
  });

  it('is deterministic given the seed; reports a batch of one image; validates options; releases its source', async () => {
    const ledger = new RecordingLedger();
    const mk = (keys: string[]): Batch => batchOf(ledger, keys, { png: pixels([keys.length, 8, 8, 3]) });
    const [a] = await run<CutmixBatch>([mk(keysOf(3))], cutmix({ seed: 1 }));
    const [b] = await run<CutmixBatch>([mk(keysOf(3))], cutmix({ seed: 1 }));
    assert.deepEqual(a?.__cutmix__, b?.__cutmix__);
    assert.ok(sameImages(a?.png as ImageBatch, b?.png as ImageBatch));
    await assert.rejects(
      run([mk(['alone'])], cutmix({ seed: 1 })),
      (e: unknown) => e instanceof SampleError && e.reason === 'cutmix',
    );
    assert.throws(() => cutmix({ beta: 0, seed: 1 }), RangeError);
    const subject = new Subject<Batch>();
    let finalized = false;
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        cutmix({ seed: 1 }),
      )
      .subscribe();
    sub.unsubscribe();
    assert.equal(finalized, true);
  });
});
