import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize } from 'rxjs';
import { cutout, cutoutTransform } from '../../operators/cutout.js';
import { imageRandom, type NdaContext } from '../../operators/internal/nda-transform.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Batch, type ImageBatch } from '../../sources/sample.js';
import { at, batchOf, keysOf, pixels, run, sameImages } from '../helpers/nda-batch.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const ctx = (n: number, seed = 1, epoch = 0): NdaContext => ({ seed, epoch, keys: keysOf(n) });

/** Checks image i of `out` against `input`: inside the square its own per-channel mean, elsewhere the input. */
function checkSquare(input: ImageBatch, out: ImageBatch, i: number, top: number, left: number, side: number): void {
  const [, H, W, C] = input.shape;
  assert.ok(top >= 0 && left >= 0 && top + side <= H && left + side <= W, 'the square lies inside the image');
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let y = top; y < top + side; y++) for (let x = left; x < left + side; x++) sum += at(input, i, y, x, c);
    const mean =
      input.data instanceof Float32Array ? Math.fround(sum / (side * side)) : Math.round(sum / (side * side));
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const inside = y >= top && y < top + side && x >= left && x < left + side;
        const got = at(out, i, y, x, c);
        if (inside)
          assert.ok(
            Math.abs(got - mean) <= (input.data instanceof Float32Array ? 1e-6 : 0),
            `(${y}, ${x}, ${c}): ${got} is not the mean ${mean}`,
          );
        else assert.equal(got, at(input, i, y, x, c));
      }
  }
}

describe('cutoutTransform', () => {
  it('fills one square per image with its own per-channel mean and leaves the rest (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 4 }),
          H: fc.integer({ min: 1, max: 40 }),
          W: fc.integer({ min: 1, max: 40 }),
          C: fc.integer({ min: 1, max: 4 }),
          float: fc.boolean(),
          seed: fc.nat(),
        }),
        ({ n, H, W, C, float, seed }) => {
          const input = pixels([n, H, W, C], float ? 'float32' : 'uint8', seed + 5);
          const before = input.data.slice();
          const r = cutoutTransform().apply(input, ctx(n, seed));
          assert.deepEqual(r.images.shape, input.shape);
          assert.equal(r.images.data.constructor, input.data.constructor);
          const S = Math.min(H, W);
          const lo = Math.min(S, Math.max(1, Math.round((10 * S) / 32)));
          const hi = Math.min(S, Math.max(lo, Math.round((19 * S) / 32)));
          for (let i = 0; i < n; i++) {
            const [top, left, side] = Array.from(r.squares.subarray(3 * i, 3 * i + 3)) as [number, number, number];
            assert.ok(side >= lo && side <= hi, `side ${side} not in [${lo}, ${hi}]`);
            checkSquare(input, r.images, i, top, left, side);
          }
          assert.deepEqual(input.data, before);
        },
      ),
      { numRuns: 120 },
    );
  });

  it("at 32 px: sides 10..19, places as the official code, drawn from (seed, 'cutout', epoch, key)", () => {
    const n = 400;
    const context = { seed: 2, epoch: 0, keys: keysOf(n) };
    const r = cutoutTransform().apply(pixels([n, 32, 32, 3]), context);
    const sides = new Set<number>();
    for (let i = 0; i < n; i++) {
      const rng = imageRandom('cutout', context, i);
      const side = rng.int(10, 19);
      const top = Math.floor((32 - side) * rng.float());
      const left = Math.floor((32 - side) * rng.float());
      assert.deepEqual(Array.from(r.squares.subarray(3 * i, 3 * i + 3)), [top, left, side]);
      assert.ok(top <= 32 - side - 1 && left <= 32 - side - 1);
      sides.add(side);
    }
    assert.deepEqual(
      [...sides].sort((a, b) => a - b),
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    );
    // Scaled with the size: at 224 px, 70..133.
    const big = cutoutTransform().apply(pixels([50, 224, 224, 1]), ctx(50));
    for (let i = 0; i < 50; i++)
      assert.ok((big.squares[3 * i + 2] as number) >= 70 && (big.squares[3 * i + 2] as number) <= 133);
  });

  it('rounds the 8-bit mean to the nearest integer, halves up', () => {
    // A 2x2 image, square of side 2: mean (1 + 2 + 2 + 2) / 4 = 1.75 -> 2; (0 + 0 + 1 + 1) / 4 = 0.5 -> 1.
    const input: ImageBatch = { data: Uint8Array.from([1, 0, 2, 0, 2, 1, 2, 1]), shape: [1, 2, 2, 2] };
    const r = cutoutTransform({ size: 2 }).apply(input, ctx(1));
    assert.deepEqual(Array.from(r.images.data), [2, 1, 2, 1, 2, 1, 2, 1]);
  });

  it('takes a fixed side or range with size, and refuses one larger than the image', () => {
    const r = cutoutTransform({ size: [3, 4] }).apply(pixels([30, 10, 12, 1]), ctx(30));
    for (let i = 0; i < 30; i++) assert.ok([3, 4].includes(r.squares[3 * i + 2] as number));
    assert.throws(() => cutoutTransform({ size: 11 }).apply(pixels([1, 10, 12, 1]), ctx(1)), {
      name: 'RangeError',
      message:
        'Cannot cut a square out of a 10x12 image as its side must fit in the image (size at most 10): current value is [11,11]',
    });
    assert.throws(() => cutoutTransform({ size: 0 }), RangeError);
    assert.throws(() => cutoutTransform({ size: [5, 3] }), {
      name: 'RangeError',
      message: 'Cannot create a cutout transform as size must be [min, max] with min <= max: current value is [5,3]',
    });
    assert.throws(() => cutoutTransform({ size: [5] as never }), TypeError);
    assert.throws(() => cutoutTransform({ size: 2.5 }), RangeError);
    assert.deepEqual(cutoutTransform().options, { size: null });
    assert.deepEqual(cutoutTransform({ size: 4 }).options, { size: [4, 4] });
  });
});

describe('cutout', () => {
  it('replaces the image field, keeps the rest, and is deterministic given the seed', async () => {
    const ledger = new RecordingLedger();
    const png = pixels([6, 32, 32, 3]);
    const input = batchOf(ledger, keysOf(6), { png, cls: Float64Array.from([0, 1, 2, 3, 4, 5]) }, 1);
    const [out] = await run([input], cutout({ seed: 7 }));
    assert.ok(out);
    const r = cutoutTransform().apply(png, { seed: 7, epoch: 1, keys: keysOf(6) });
    assert.ok(sameImages(out.png as ImageBatch, r.images));
    assert.equal(out[LINEAGE], input[LINEAGE]);
    assert.equal(out.__partner__, undefined);
    assert.equal(out.cls, input.cls);
    const [again] = await run([batchOf(ledger, keysOf(6), { png }, 1)], cutout({ seed: 7 }));
    assert.ok(sameImages(again?.png as ImageBatch, out.png as ImageBatch));
    const [other] = await run([batchOf(ledger, keysOf(6), { png }, 1)], cutout({ seed: 8 }));
    assert.ok(!sameImages(other?.png as ImageBatch, out.png as ImageBatch));
  });

  it('reports a size that does not fit through the handler; validates options; releases its source', async () => {
    const ledger = new RecordingLedger();
    await assert.rejects(
      run([batchOf(ledger, ['a'], { png: pixels([1, 4, 4, 1]) })], cutout({ seed: 1, size: 5 })),
      (e: unknown) => e instanceof SampleError && e.reason === 'cutout' && e.field === 'png',
    );
    assert.throws(() => cutout({ size: -1, seed: 1 }), RangeError);
    const subject = new Subject<Batch>();
    let finalized = false;
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        cutout({ seed: 1 }),
      )
      .subscribe();
    sub.unsubscribe();
    assert.equal(finalized, true);
  });
});
