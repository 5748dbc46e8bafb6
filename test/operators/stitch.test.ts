import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize } from 'rxjs';
import { stitch, stitchTransform, type StitchBatch } from '../../operators/stitch.js';
import { batchRandom, derangement, type NdaContext } from '../../operators/internal/nda-transform.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Batch, type ImageBatch } from '../../sources/sample.js';
import { batchOf, keysOf, pixel, pixels, run, sameImages } from '../helpers/nda-batch.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const ctx = (n: number, seed = 1, epoch = 0): NdaContext => ({ seed, epoch, keys: keysOf(n) });

describe('stitchTransform', () => {
  it("takes the first half from the image and the rest from its partner (property, odd sizes: the partner's half is larger)", () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 2, max: 5 }),
          H: fc.integer({ min: 1, max: 9 }),
          W: fc.integer({ min: 1, max: 9 }),
          C: fc.integer({ min: 1, max: 4 }),
          float: fc.boolean(),
          seed: fc.nat(),
          p: fc.constantFrom(0, 0.5, 1),
        }),
        ({ n, H, W, C, float, seed, p }) => {
          const input = pixels([n, H, W, C], float ? 'float32' : 'uint8', seed + 3);
          const before = input.data.slice();
          const r = stitchTransform({ p }).apply(input, ctx(n, seed));
          assert.deepEqual(r.images.shape, input.shape);
          assert.equal(r.images.data.constructor, input.data.constructor);
          if (p === 1) assert.equal(r.direction, 'top-bottom');
          if (p === 0) assert.equal(r.direction, 'left-right');
          for (let i = 0; i < n; i++) {
            const partner = r.partners[i] as number;
            assert.notEqual(partner, i);
            for (let y = 0; y < H; y++)
              for (let x = 0; x < W; x++) {
                const own = r.direction === 'top-bottom' ? y < Math.floor(H / 2) : x < Math.floor(W / 2);
                assert.deepEqual(pixel(r.images, i, y, x), pixel(input, own ? i : partner, y, x));
              }
          }
          assert.deepEqual(input.data, before);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("draws the partners (a derangement) then the direction from (seed, 'stitch', epoch, keys)", () => {
    const context = { seed: 4, epoch: 2, keys: ['p', 'q', 'r', 's', 't'] };
    const r = stitchTransform().apply(pixels([5, 4, 4, 1]), context);
    const rng = batchRandom('stitch', context);
    assert.deepEqual(r.partners, derangement(5, rng));
    assert.equal(r.direction, rng.float() < 0.5 ? 'top-bottom' : 'left-right');
  });

  it('chooses each direction about half the time, per batch', () => {
    const counts = { 'top-bottom': 0, 'left-right': 0 };
    const input = pixels([2, 2, 2, 1]);
    for (let b = 0; b < 400; b++) counts[stitchTransform().apply(input, ctx(2, 77, b)).direction]++;
    assert.ok(counts['top-bottom'] > 150 && counts['left-right'] > 150, JSON.stringify(counts));
  });

  it('refuses a batch of one image, and bad options', () => {
    assert.throws(() => stitchTransform().apply(pixels([1, 2, 2, 1]), ctx(1)), {
      name: 'RangeError',
      message:
        'Cannot make stitch negatives of a batch as a batch must hold at least 2 images (each image is mixed with another one; batch with partial: false): current value is 1',
    });
    assert.throws(() => stitchTransform({ p: 1.5 }), {
      name: 'RangeError',
      message: 'Cannot create a stitch transform as p must be in [0, 1]: current value is 1.5',
    });
    assert.throws(() => stitchTransform({ p: -0.1 }), RangeError);
    assert.throws(() => stitchTransform({ p: 'half' as never }), TypeError);
    assert.throws(() => stitchTransform({ k: 2 } as never), TypeError);
    assert.deepEqual(stitchTransform().options, { p: 0.5, partners: 'derangement' });
  });
});

describe('stitch', () => {
  it('records each partner by key and the direction, and keeps the rest of the batch', async () => {
    const ledger = new RecordingLedger();
    const png = pixels([4, 6, 6, 3]);
    const input = batchOf(ledger, ['a', 'b', 'c', 'd'], { png, cls: Float64Array.from([0, 1, 2, 3]) });
    const [out] = await run([input], stitch({ seed: 8 }));
    assert.ok(out);
    const expected = stitchTransform().apply(png, { seed: 8, epoch: 0, keys: input.__key__ });
    assert.ok(sameImages(out.png as ImageBatch, expected.images));
    assert.deepEqual(
      out.__partner__,
      Array.from(expected.partners, (p) => input.__key__[p]),
    );
    assert.deepEqual(out.__stitch__, { direction: expected.direction });
    assert.equal(out[LINEAGE], input[LINEAGE]);
    assert.deepEqual(out.__key__, input.__key__);
    assert.equal(out.cls, input.cls);
    // The halves come from the named images.
    const keys = input.__key__;
    for (let i = 0; i < 4; i++) {
      const partner = keys.indexOf(out.__partner__[i] as string);
      assert.notEqual(partner, i);
      assert.deepEqual(pixel(out.png as ImageBatch, i, 5, 5), pixel(png, partner, 5, 5));
      assert.deepEqual(pixel(out.png as ImageBatch, i, 0, 0), pixel(png, i, 0, 0));
    }
  });

  it('gives several fields of a batch the same partners and direction', async () => {
    const ledger = new RecordingLedger();
    const [out] = await run(
      [batchOf(ledger, keysOf(6), { png: pixels([6, 4, 4, 3]), 'seg.png': pixels([6, 8, 8, 1], 'uint8', 5) })],
      stitch({ seed: 3 }),
    );
    const keys = keysOf(6);
    const a = stitchTransform().apply(pixels([6, 4, 4, 3]), { seed: 3, epoch: 0, keys });
    const b = stitchTransform().apply(pixels([6, 8, 8, 1], 'uint8', 5), { seed: 3, epoch: 0, keys });
    assert.deepEqual(a.partners, b.partners);
    assert.ok(sameImages(out?.['seg.png'] as ImageBatch, b.images));
  });

  it('is deterministic given the seed, and reports a batch of one image through the handler', async () => {
    const ledger = new RecordingLedger();
    const mk = (keys: string[]): Batch => batchOf(ledger, keys, { png: pixels([keys.length, 4, 4, 1]) });
    const a = await run([mk(keysOf(5))], stitch({ seed: 1 }));
    const b = await run([mk(keysOf(5))], stitch({ seed: 1 }));
    assert.ok(sameImages(a[0]?.png as ImageBatch, b[0]?.png as ImageBatch));
    assert.deepEqual(a[0]?.__partner__, b[0]?.__partner__);
    const c = await run([mk(keysOf(5))], stitch({ seed: 2 }));
    assert.ok(
      !sameImages(a[0]?.png as ImageBatch, c[0]?.png as ImageBatch) ||
        a[0]?.__partner__.join() !== c[0]?.__partner__.join(),
    );
    await assert.rejects(
      run([mk(['alone'])], stitch({ seed: 1 })),
      (e: unknown) => e instanceof SampleError && e.reason === 'stitch' && e.key === 'alone',
    );
    const kept = await run([mk(['alone']), mk(['x', 'y'])], stitch({ seed: 1, handler: 'ignoreAndContinue' }));
    assert.deepEqual(
      kept.map((o: StitchBatch) => o.__key__),
      [['x', 'y']],
    );
  });

  it('validates its options when created, and releases its source on unsubscribe', () => {
    assert.throws(() => stitch({ p: 2, seed: 1 }), RangeError);
    assert.throws(() => stitch({ seed: 1, field: '' }), TypeError);
    const subject = new Subject<Batch>();
    let finalized = false;
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        stitch({ seed: 1 }),
      )
      .subscribe();
    sub.unsubscribe();
    assert.equal(finalized, true);
    assert.equal(subject.observed, false);
  });
});
