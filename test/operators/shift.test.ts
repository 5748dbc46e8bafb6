import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize } from 'rxjs';
import { shift, shiftTransform } from '../../operators/shift.js';
import { batchRandom, type NdaContext } from '../../operators/internal/nda-transform.js';
import { LINEAGE, type Batch, type ImageBatch } from '../../sources/sample.js';
import { batchOf, keysOf, pixel, pixels, run, sameImages } from '../helpers/nda-batch.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const ctx = (n: number, seed = 1, epoch = 0): NdaContext => ({ seed, epoch, keys: keysOf(n) });

describe('shiftTransform', () => {
  it('rolls every image of a batch by one offset, wrapping around (property against np.roll)', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          H: fc.integer({ min: 1, max: 40 }),
          W: fc.integer({ min: 1, max: 40 }),
          C: fc.integer({ min: 1, max: 4 }),
          float: fc.boolean(),
          seed: fc.nat(),
          offset: fc.option(
            fc
              .tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }))
              .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as [number, number]),
            { nil: undefined },
          ),
        }),
        ({ n, H, W, C, float, seed, offset }) => {
          const input = pixels([n, H, W, C], float ? 'float32' : 'uint8', seed + 23);
          const before = input.data.slice();
          const r = shiftTransform(offset === undefined ? {} : { offset }).apply(input, ctx(n, seed));
          assert.deepEqual(r.images.shape, input.shape);
          assert.equal(r.images.data.constructor, input.data.constructor);
          const [dy, dx] = r.offset;
          assert.ok(dy >= 0 && dy < H && dx >= 0 && dx < W);
          for (let i = 0; i < n; i++)
            for (let y = 0; y < H; y++)
              for (let x = 0; x < W; x++)
                assert.deepEqual(pixel(r.images, i, (y + dy) % H, (x + dx) % W), pixel(input, i, y, x));
          assert.deepEqual(input.data, before);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("draws one offset per batch, 10..24 at 32 px (the official range), from (seed, 'shift', epoch, keys)", () => {
    const seen = new Set<number>();
    for (let b = 0; b < 300; b++) {
      const context = ctx(2, 4, b);
      const r = shiftTransform().apply(pixels([2, 32, 32, 1]), context);
      assert.equal(r.offset[0], r.offset[1]);
      assert.equal(r.offset[0], 10 + Math.floor(15 * batchRandom('shift', context).float()));
      seen.add(r.offset[0]);
    }
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 15 }, (_, i) => 10 + i),
    );
    const big = shiftTransform().apply(pixels([1, 224, 64, 1]), ctx(1));
    assert.ok(
      big.offset[0] >= 70 && big.offset[0] <= 168 && big.offset[1] >= 20 && big.offset[1] <= 48,
      String(big.offset),
    );
  });

  it('validates its options', () => {
    assert.throws(() => shiftTransform({ offset: -1 }), RangeError);
    assert.throws(() => shiftTransform({ offset: [3, 2] }), RangeError);
    assert.throws(() => shiftTransform({ offset: 'x' as never }), TypeError);
    assert.throws(() => shiftTransform({ k: 1 } as never), TypeError);
    assert.deepEqual(shiftTransform({ offset: 3 }).options, { offset: [3, 3], mode: 'roll' });
  });
});

describe('shift', () => {
  it('replaces the image field, keeps the rest, is deterministic given the seed, and releases its source', async () => {
    const ledger = new RecordingLedger();
    const png = pixels([3, 32, 32, 3]);
    const input = batchOf(ledger, keysOf(3), { png, cls: [1, 2, 3] });
    const [out] = await run([input], shift({ seed: 2 }));
    assert.ok(
      sameImages(out?.png as ImageBatch, shiftTransform().apply(png, { seed: 2, epoch: 0, keys: keysOf(3) }).images),
    );
    assert.equal(out?.[LINEAGE], input[LINEAGE]);
    assert.equal(out?.cls, input.cls);
    assert.throws(() => shift({ offset: -2, seed: 1 }), RangeError);
    const subject = new Subject<Batch>();
    let finalized = false;
    subject
      .pipe(
        finalize(() => (finalized = true)),
        shift({ seed: 1 }),
      )
      .subscribe()
      .unsubscribe();
    assert.equal(finalized, true);
  });
});

describe("shiftTransform mode 'official'", () => {
  it('writes the three wrapped strips and leaves the bottom-right block in place (property against the official slicing)', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 3 }),
          H: fc.integer({ min: 1, max: 40 }),
          W: fc.integer({ min: 1, max: 40 }),
          C: fc.integer({ min: 1, max: 4 }),
          float: fc.boolean(),
          seed: fc.nat(),
          k: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
        }),
        ({ n, H, W, C, float, seed, k }) => {
          const input = pixels([n, H, W, C], float ? 'float32' : 'uint8', seed + 5);
          const r = shiftTransform({ mode: 'official', ...(k === undefined ? {} : { offset: k }) }).apply(
            input,
            ctx(n, seed),
          );
          const [dy, dx] = r.offset;
          // new[:k,:k] = x[-k:,-k:]; new[:k,k:] = x[-k:,:-k]; new[k:,:k] = x[:-k,-k:]; new[k:,k:] unchanged
          for (let i = 0; i < n; i++)
            for (let y = 0; y < H; y++)
              for (let x = 0; x < W; x++) {
                const sy = y < dy ? H - dy + y : x < dx ? y - dy : y;
                const sx = x < dx ? W - dx + x : y < dy ? x - dx : x;
                assert.deepEqual(pixel(r.images, i, y, x), pixel(input, i, sy, sx), `image ${i} at (${y}, ${x})`);
              }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('differs from the roll only in the bottom-right block, with the same draw', () => {
    const input = pixels([2, 32, 32, 3], 'uint8', 9);
    const context = ctx(2, 3, 1);
    const official = shiftTransform({ mode: 'official' }).apply(input, context);
    const roll = shiftTransform().apply(input, context);
    assert.deepEqual(official.offset, roll.offset);
    const [dy, dx] = official.offset;
    let differs = 0;
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const same = pixel(official.images, 0, y, x).join() === pixel(roll.images, 0, y, x).join();
        if (y < dy || x < dx) assert.ok(same, `strip pixel (${y}, ${x})`);
        else {
          assert.deepEqual(pixel(official.images, 0, y, x), pixel(input, 0, y, x), 'bottom-right block in place');
          if (!same) differs++;
        }
      }
    assert.ok(differs > 0);
  });

  it('rejects an unknown mode, and the operator passes it on', () => {
    assert.throws(
      () => shiftTransform({ mode: 'wrap' as never }),
      /Cannot create a shift transform as mode must be 'roll' or 'official': current value is "wrap"/,
    );
    assert.throws(() => shift({ mode: 'x' as never }), /mode must be 'roll' or 'official'/);
    assert.equal(shiftTransform({ mode: 'official' }).options.mode, 'official');
  });
});
