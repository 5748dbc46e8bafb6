import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Subject, finalize } from 'rxjs';
import { jigsaw, jigsawTransform } from '../../operators/jigsaw.js';
import { imageRandom, type NdaContext } from '../../operators/internal/nda-transform.js';
import { SampleError } from '../../sources/errors.js';
import { LINEAGE, type Batch, type ImageBatch } from '../../sources/sample.js';
import { at, batchOf, indexed, keysOf, pixels, run, sameImages } from '../helpers/nda-batch.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

/** The naive jigsaw: output pixel (i, y, x) is the pixel at the same place in the input tile `tiles` names. */
function reference(input: ImageBatch, k: number, tiles: Int32Array): number[] {
  const [n, H, W, C] = input.shape;
  const th = H / k;
  const tw = W / k;
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const t = tiles[i * k * k + Math.floor(y / th) * k + Math.floor(x / tw)] as number;
        for (let c = 0; c < C; c++)
          out.push(at(input, i, Math.floor(t / k) * th + (y % th), (t % k) * tw + (x % tw), c));
      }
  return out;
}

/** The tiles of each image, each as a string of its values, sorted (the multiset of tiles). */
function tileMultisets(b: ImageBatch, k: number): string[] {
  const [n, H, W, C] = b.shape;
  const th = H / k;
  const tw = W / k;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const tiles: string[] = [];
    for (let r = 0; r < k; r++)
      for (let q = 0; q < k; q++) {
        const v: number[] = [];
        for (let y = 0; y < th; y++)
          for (let x = 0; x < tw; x++) for (let c = 0; c < C; c++) v.push(at(b, i, r * th + y, q * tw + x, c));
        tiles.push(v.join(','));
      }
    out.push(tiles.sort().join('|'));
  }
  return out;
}

const ctx = (n: number, seed = 1, epoch = 0): NdaContext => ({ seed, epoch, keys: keysOf(n) });

describe('jigsawTransform', () => {
  it('permutes whole tiles (property: the naive reference, the multiset of tiles, shape and dtype kept, input intact)', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 4 }),
          k: fc.integer({ min: 2, max: 4 }),
          th: fc.integer({ min: 1, max: 5 }),
          tw: fc.integer({ min: 1, max: 5 }),
          C: fc.integer({ min: 1, max: 4 }),
          float: fc.boolean(),
          mode: fc.constantFrom('official' as const, 'strict' as const),
          seed: fc.nat(),
        }),
        ({ n, k, th, tw, C, float, mode, seed }) => {
          const input = pixels([n, k * th, k * tw, C], float ? 'float32' : 'uint8', seed + 1);
          const before = input.data.slice();
          const r = jigsawTransform({ k, mode }).apply(input, ctx(n, seed));
          assert.deepEqual(r.images.shape, input.shape);
          assert.equal(r.images.data.constructor, input.data.constructor);
          assert.notEqual(r.images.data.buffer, input.data.buffer);
          assert.equal(r.partners, null);
          assert.deepEqual(Array.from(r.images.data), reference(input, k, r.tiles));
          assert.deepEqual(tileMultisets(r.images, k), tileMultisets(input, k));
          assert.deepEqual(input.data, before);
          for (let i = 0; i < n; i++) {
            const t = Array.from(r.tiles.subarray(i * k * k, (i + 1) * k * k));
            assert.deepEqual(
              [...t].sort((a, b) => a - b),
              Array.from({ length: k * k }, (_, j) => j),
              'each tile used once',
            );
            if (mode === 'strict')
              assert.ok(
                t.some((v, j) => v !== j),
                'strict: never the input arrangement',
              );
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("official: draws a non-identity permutation from (seed, 'jigsaw', epoch, key) and lays its tiles out column by column", () => {
    const input = indexed([6, 4, 6, 2]);
    const context = { seed: 9, epoch: 3, keys: ['a', 'b', 'c', 'd', 'e', 'f'] };
    const r = jigsawTransform().apply(input, context);
    for (let i = 0; i < 6; i++) {
      const rng = imageRandom('jigsaw', context, i);
      let p: number[];
      do {
        p = [0, 1, 2, 3];
        for (let j = 3; j > 0; j--) {
          const s = rng.int(0, j);
          [p[j], p[s]] = [p[s] as number, p[j] as number];
        }
      } while (p.every((v, j) => v === j));
      // slot (row, col) holds tile p[col * k + row]
      assert.deepEqual(Array.from(r.tiles.subarray(4 * i, 4 * i + 4)), [p[0], p[2], p[1], p[3]]);
    }
  });

  it('official: at k=2, 1 negative in 23 equals its image and the transposed layout never occurs; strict: never the input', () => {
    const n = 2000;
    const input = indexed([n, 2, 2, 1]);
    const context = { seed: 12345, epoch: 0, keys: keysOf(n, 'img') };
    const count = (tiles: Int32Array): Map<string, number> => {
      const m = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const key = Array.from(tiles.subarray(4 * i, 4 * i + 4)).join('');
        m.set(key, (m.get(key) ?? 0) + 1);
      }
      return m;
    };
    const official = jigsawTransform({ k: 2 }).apply(input, context);
    const o = count(official.tiles);
    // Expected 2000/23 = 87 (sd 9.1): the fixed seed makes this exact, the bound (4 sd) makes it robust to changes.
    const identity = o.get('0123') ?? 0;
    assert.ok(identity >= 50 && identity <= 130, `identity arrangements: ${identity}`);
    assert.equal(o.get('0213'), undefined, 'the transposed layout (the identity permutation) never occurs');
    assert.equal(o.size, 23);
    // The equal outputs really are equal pixels.
    let equal = 0;
    for (let i = 0; i < n; i++)
      if ([0, 1, 2, 3].every((j) => official.images.data[4 * i + j] === input.data[4 * i + j])) equal++;
    assert.equal(equal, identity);

    const strict = count(jigsawTransform({ k: 2, mode: 'strict' }).apply(input, context).tiles);
    assert.equal(strict.get('0123'), undefined);
    assert.equal(strict.size, 23);
    for (const c of strict.values()) assert.ok(c > 40 && c < 140, 'each of the 23 arrangements about equally often');
  });

  it('refuses a size k does not divide, and bad options', () => {
    assert.throws(() => jigsawTransform({ k: 3 }).apply(pixels([2, 6, 8, 1]), ctx(2)), {
      name: 'RangeError',
      message:
        'Cannot cut a 6x8 image into a 3x3 jigsaw as k must divide its height and its width (crop or resize first): current value is 3',
    });
    assert.throws(() => jigsawTransform({ k: 1 }), {
      name: 'RangeError',
      message: 'Cannot create a jigsaw transform as k must be in [2, 4096]: current value is 1',
    });
    assert.throws(() => jigsawTransform({ k: 2.5 }), RangeError);
    assert.throws(() => jigsawTransform({ k: '2' as never }), TypeError);
    assert.throws(() => jigsawTransform({ mode: 'loose' as never }), {
      name: 'RangeError',
      message: `Cannot create a jigsaw transform as mode must be 'official' or 'strict': current value is "loose"`,
    });
    assert.throws(() => jigsawTransform({ K: 3 } as never), {
      name: 'TypeError',
      message: 'Cannot call jigsawTransform as K is not an option of jigsawTransform: did you mean k?',
    });
    assert.throws(() => jigsawTransform().apply({ data: new Uint8Array(5), shape: [1, 2, 2, 1] }, ctx(1)), RangeError);
    assert.deepEqual(jigsawTransform().options, { k: 2, mode: 'official' });
  });

  it('makes nothing of an empty batch', () => {
    const r = jigsawTransform().apply({ data: new Uint8Array(0), shape: [0, 4, 4, 3] }, ctx(0));
    assert.deepEqual(r.images.shape, [0, 4, 4, 3]);
    assert.equal(r.images.data.length, 0);
  });
});

describe('jigsaw', () => {
  it('replaces the image field and keeps keys, urls, lineage and the other fields', async () => {
    const ledger = new RecordingLedger();
    const png = pixels([4, 8, 8, 3]);
    const input = batchOf(ledger, ['a', 'b', 'c', 'd'], {
      png,
      cls: Float64Array.from([1, 2, 3, 4]),
      txt: ['w', 'x', 'y', 'z'],
    });
    const [out] = await run([input], jigsaw({ seed: 5 }));
    assert.ok(out);
    assert.notEqual(out, input);
    assert.deepEqual(out.__key__, ['a', 'b', 'c', 'd']);
    assert.deepEqual(out.__url__, input.__url__);
    assert.equal(out[LINEAGE], input[LINEAGE]);
    assert.equal(out.cls, input.cls);
    assert.equal(out.txt, input.txt);
    assert.equal(out.__partner__, undefined);
    assert.equal(input.png, png, 'the input batch is not modified');
    const expected = jigsawTransform().apply(png, { seed: 5, epoch: 0, keys: ['a', 'b', 'c', 'd'] });
    assert.ok(sameImages(out.png as ImageBatch, expected.images));
  });

  it('is deterministic: same seed same negatives, whatever the batch object; the epoch comes from the lineage', async () => {
    const ledger = new RecordingLedger();
    const keys = keysOf(8);
    const png = pixels([8, 16, 16, 3]);
    const neg = async (b: Batch, seed: number) => (await run([b], jigsaw({ seed, k: 4 })))[0]?.png as ImageBatch;
    const a = await neg(batchOf(ledger, keys, { png }), 1);
    assert.ok(
      sameImages(
        a,
        await neg(batchOf(ledger, keys, { png: { data: png.data.slice(), shape: png.shape }, other: 1 }), 1),
      ),
    );
    assert.ok(!sameImages(a, await neg(batchOf(ledger, keys, { png }), 2)), 'another seed');
    assert.ok(!sameImages(a, await neg(batchOf(ledger, keys, { png }, 1), 1)), 'another epoch');
    const plain: Batch = { __key__: keys, __url__: keys.map(() => 'u'), png };
    assert.ok(sameImages(a, await neg(plain, 1)), 'a batch without lineage is epoch 0');
  });

  it('transforms only the named fields with field', async () => {
    const ledger = new RecordingLedger();
    const png = pixels([2, 4, 4, 1]);
    const mask = pixels([2, 4, 4, 1], 'uint8', 7);
    const [out] = await run([batchOf(ledger, ['a', 'b'], { png, mask })], jigsaw({ seed: 1, field: 'png' }));
    assert.equal(out?.mask, mask);
    assert.notEqual(out?.png, png);
    const [both] = await run([batchOf(ledger, ['a', 'b'], { png, mask })], jigsaw({ seed: 1 }));
    assert.notEqual(both?.mask, mask);
  });

  it('reports a size k does not divide through the handler, naming the batch and field', async () => {
    const ledger = new RecordingLedger();
    const bad = batchOf(ledger, ['x', 'y'], { png: pixels([2, 6, 6, 1]) });
    const good = batchOf(ledger, ['z', 'w'], { png: pixels([2, 8, 8, 1]) });
    await assert.rejects(run([bad, good], jigsaw({ k: 4, seed: 1 })), (e: unknown) => {
      assert.ok(e instanceof SampleError);
      assert.equal(e.reason, 'jigsaw');
      assert.equal(e.field, 'png');
      assert.equal(e.key, 'x,y');
      assert.match(e.message, /Cannot cut a 6x6 image into a 4x4 jigsaw as k must divide its height and its width/);
      assert.ok(e.cause instanceof RangeError);
      return true;
    });
    const out = await run([bad, good], jigsaw({ k: 4, seed: 1, handler: 'ignoreAndContinue' }));
    assert.deepEqual(
      out.map((b) => b.__key__),
      [['z', 'w']],
    );
    assert.deepEqual(
      ledger.skipped.map((s) => [s.key, s.reason]),
      [
        ['x', 'jigsaw'],
        ['y', 'jigsaw'],
        ['x', 'jigsaw'],
        ['y', 'jigsaw'],
      ],
    );
  });

  it('reports a missing field, a field that is not stacked, and a batch without images', async () => {
    const ledger = new RecordingLedger();
    await assert.rejects(
      run([batchOf(ledger, ['a'], { jpg: pixels([1, 2, 2, 1]) })], jigsaw({ seed: 1, field: 'png' })),
      (e: unknown) => e instanceof SampleError && e.reason === 'missing-field' && e.field === 'png',
    );
    await assert.rejects(
      run([batchOf(ledger, ['a'], { png: [Buffer.from('x')] })], jigsaw({ seed: 1, field: 'png' })),
      /must be a stacked image batch/,
    );
    await assert.rejects(
      run([batchOf(ledger, ['a'], { cls: 1 })], jigsaw({ seed: 1 })),
      /must have a stacked image field/,
    );
    assert.deepEqual(
      ledger.skipped.map((s) => s.reason),
      ['missing-field', 'jigsaw', 'jigsaw'],
    );
  });

  it('validates its options when created', () => {
    assert.throws(() => jigsaw({ k: 1, seed: 1 }), RangeError);
    assert.throws(() => jigsaw({ seed: -1 }), RangeError);
    assert.throws(() => jigsaw({ seed: 1, field: [] }), TypeError);
    assert.throws(() => jigsaw({ seed: 1, handler: 'nope' as never }), Error);
    assert.throws(() => jigsaw({ seed: 1, kk: 2 } as never), {
      name: 'TypeError',
      message: 'Cannot call jigsaw as kk is not an option of jigsaw: did you mean k?',
    });
    let picked: number | undefined;
    jigsaw({ onSeed: (s) => (picked = s) });
    assert.equal(typeof picked, 'number');
  });

  it('releases its source on early unsubscribe', () => {
    const ledger = new RecordingLedger();
    const subject = new Subject<Batch>();
    let finalized = false;
    const seen: Batch[] = [];
    const sub = subject
      .pipe(
        finalize(() => (finalized = true)),
        jigsaw({ seed: 1 }),
      )
      .subscribe((b) => seen.push(b));
    subject.next(batchOf(ledger, ['a'], { png: pixels([1, 2, 2, 1]) }));
    sub.unsubscribe();
    subject.next(batchOf(ledger, ['b'], { png: pixels([1, 2, 2, 1]) }));
    assert.equal(finalized, true);
    assert.equal(seen.length, 1);
  });
});
