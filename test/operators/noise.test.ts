import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Subject, finalize } from 'rxjs';
import { noise, noiseTransform } from '../../operators/noise.js';
import type { NdaContext } from '../../operators/internal/nda-transform.js';
import { LINEAGE, type Batch, type ImageBatch } from '../../sources/sample.js';
import { batchOf, keysOf, pixels, run, sameImages } from '../helpers/nda-batch.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const ctx = (n: number, seed = 1, epoch = 0, prefix = 'k'): NdaContext => ({ seed, epoch, keys: keysOf(n, prefix) });

describe('noiseTransform', () => {
  it('makes uniform 8-bit noise of the shape, whatever the image', () => {
    const input = pixels([8, 32, 32, 3]);
    const r = noiseTransform().apply(input, ctx(8));
    assert.deepEqual(r.images.shape, input.shape);
    assert.ok(r.images.data instanceof Uint8Array);
    assert.equal(r.partners, null);
    const counts = new Array<number>(256).fill(0);
    for (const v of r.images.data) counts[v] = (counts[v] ?? 0) + 1;
    // 24,576 values, 96 per level expected (sd ~10).
    assert.ok(Math.min(...counts) > 40 && Math.max(...counts) < 160, `${Math.min(...counts)}..${Math.max(...counts)}`);
    const zeros = noiseTransform().apply({ data: new Uint8Array(input.data.length), shape: input.shape }, ctx(8));
    assert.ok(sameImages(r.images, zeros.images), 'independent of the pixels');
    // Odd lengths (not a multiple of 4) are filled to the end.
    const odd = noiseTransform().apply({ data: new Uint8Array(3 * 7).fill(0), shape: [3, 7, 1, 1] }, ctx(3));
    assert.ok(odd.images.data.some((v) => v !== 0));
    // An image's noise is the same at any offset in the batch (aligned word writes or byte writes).
    const shape = [3, 11, 1, 1] as const;
    const a = noiseTransform().apply(
      { data: new Uint8Array(33), shape: [...shape] },
      { seed: 4, epoch: 0, keys: ['k0', 'k1', 'k2'] },
    ).images.data;
    const b = noiseTransform().apply(
      { data: new Uint8Array(33), shape: [...shape] },
      { seed: 4, epoch: 0, keys: ['k1', 'k0', 'k2'] },
    ).images.data;
    assert.deepEqual(Array.from(a.subarray(0, 11)), Array.from(b.subarray(11, 22)));
    assert.deepEqual(Array.from(a.subarray(11, 22)), Array.from(b.subarray(0, 11)));
  });

  it('makes float32 noise in the range, per image from (seed, noise, epoch, key)', () => {
    const input = pixels([4, 16, 16, 3], 'float32');
    const r = noiseTransform({ range: [-1, 1] }).apply(input, ctx(4));
    assert.ok(r.images.data instanceof Float32Array);
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const v of r.images.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
    }
    assert.ok(min >= -1 && max <= 1 && min < -0.99 && max > 0.99, `${min}..${max}`);
    assert.ok(Math.abs(sum / r.images.data.length) < 0.05);
    const per = 16 * 16 * 3;
    const image = (b: ImageBatch, i: number): string => Array.from(b.data.subarray(i * per, (i + 1) * per)).join();
    // The noise of an image depends on its key, not on its place in the batch.
    const swapped = noiseTransform({ range: [-1, 1] }).apply(input, {
      seed: 1,
      epoch: 0,
      keys: ['k1', 'k0', 'k2', 'k3'],
    });
    assert.equal(image(swapped.images, 0), image(r.images, 1));
    assert.notEqual(image(r.images, 0), image(r.images, 1));
    assert.notEqual(image(noiseTransform({ range: [-1, 1] }).apply(input, ctx(4, 2)).images, 0), image(r.images, 0));
    assert.notEqual(image(noiseTransform({ range: [-1, 1] }).apply(input, ctx(4, 1, 1)).images, 0), image(r.images, 0));
  });

  it('validates its options', () => {
    assert.throws(() => noiseTransform({ range: [1, 0] }), {
      name: 'RangeError',
      message:
        'Cannot create a noise transform as range must be [low, high] with finite low <= high: current value is [1,0]',
    });
    assert.throws(() => noiseTransform({ range: [0, Infinity] }), RangeError);
    assert.throws(() => noiseTransform({ range: 1 as never }), TypeError);
    assert.deepEqual(noiseTransform().options, { range: [0, 1] });
  });
});

describe('noise', () => {
  it('replaces the image field, keeps the rest, is deterministic given the seed, and releases its source', async () => {
    const ledger = new RecordingLedger();
    const png = pixels([3, 8, 8, 3]);
    const input = batchOf(ledger, keysOf(3), { png });
    const [a] = await run([input], noise({ seed: 2 }));
    const [b] = await run([batchOf(ledger, keysOf(3), { png })], noise({ seed: 2 }));
    assert.ok(sameImages(a?.png as ImageBatch, b?.png as ImageBatch));
    assert.equal(a?.[LINEAGE], input[LINEAGE]);
    assert.throws(() => noise({ range: [2, 1], seed: 1 }), RangeError);
    const subject = new Subject<Batch>();
    let finalized = false;
    subject
      .pipe(
        finalize(() => (finalized = true)),
        noise({ seed: 1 }),
      )
      .subscribe()
      .unsubscribe();
    assert.equal(finalized, true);
  });
});
