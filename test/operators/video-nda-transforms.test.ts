import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NDA_TRANSFORM_NAMES, createNdaTransform } from '../../operators/internal/nda-transforms.js';
import type { NdaContext } from '../../operators/internal/nda-transform.js';
import { VIDEO_NDA_TRANSFORM_NAMES, createVideoNdaTransform } from '../../operators/internal/video-nda-transforms.js';
import type { FrameShuffleResult } from '../../operators/internal/video-nda-shuffle.js';
import type { SpliceResult } from '../../operators/internal/video-nda-splice.js';
import type { StaticClipResult } from '../../operators/internal/video-nda-static.js';
import type { FramewiseResult } from '../../operators/internal/video-nda-spatial.js';
import type { ImageBatch } from '../../sources/sample.js';
import { Random } from '../../sources/random.js';
import type { ClipBatch } from '../../sources/video/video-clip.js';
import { keysOf, sameImages } from '../helpers/nda-batch.js';

type Shape5 = readonly [number, number, number, number, number];

/** A clip batch of seeded values: uint8 0..255, or float32 with (nearly) unique values. */
function clips(shape: Shape5, dtype: 'uint8' | 'float32' = 'uint8', seed = 1): ClipBatch {
  const rng = Random.derive(seed, 'video-nda-test');
  const len = shape.reduce((a, b) => a * b, 1);
  const data =
    dtype === 'uint8'
      ? Uint8Array.from({ length: len }, () => rng.int(0, 255))
      : Float32Array.from({ length: len }, () => rng.float());
  return { data, shape: [...shape] as unknown as ClipBatch['shape'] };
}

/** A clip batch whose clips are still: every frame of clip i equal to frame 0 of `of`'s clip i. */
function still(of: ClipBatch): ClipBatch {
  const [n, T, H, W, C] = of.shape;
  const per = H * W * C;
  const data = of.data instanceof Float32Array ? new Float32Array(of.data.length) : new Uint8Array(of.data.length);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < T; t++) data.set(of.data.subarray(i * T * per, i * T * per + per), (i * T + t) * per);
  return { data, shape: of.shape };
}

/** Frame t of clip i, as a string of its values. */
function frame(b: ClipBatch, i: number, t: number): string {
  const [, T, H, W, C] = b.shape;
  const per = H * W * C;
  return Array.from(b.data.subarray((i * T + t) * per, (i * T + t + 1) * per)).join();
}

/** Frame t of every clip, as an image batch. */
function frameBatch(b: ClipBatch, t: number): ImageBatch {
  const [n, T, H, W, C] = b.shape;
  const per = H * W * C;
  const data = b.data instanceof Float32Array ? new Float32Array(n * per) : new Uint8Array(n * per);
  for (let i = 0; i < n; i++) data.set(b.data.subarray((i * T + t) * per, (i * T + t + 1) * per), i * per);
  return { data, shape: [n, H, W, C] };
}

const ctx = (n: number, seed = 3, epoch = 0): NdaContext => ({ seed, epoch, keys: keysOf(n) });

const copyOfBatch = (b: ClipBatch): string => Array.from(b.data).join();

describe('createVideoNdaTransform', () => {
  it('knows the temporal names and every image NDA name, and rebuilds an equal transform from (name, options) as JSON', () => {
    assert.deepEqual(
      [...VIDEO_NDA_TRANSFORM_NAMES],
      ['shuffle', 'reverse', 'splice', 'static', ...NDA_TRANSFORM_NAMES],
    );
    const input = clips([3, 4, 8, 8, 3]);
    const before = copyOfBatch(input);
    for (const name of VIDEO_NDA_TRANSFORM_NAMES) {
      const t = createVideoNdaTransform(name, name === 'splice' ? { fraction: [0.1, 0.9], cut: 'batch' } : {});
      assert.equal(t.name, name);
      const copy = createVideoNdaTransform(t.name, JSON.parse(JSON.stringify(t.options)) as object);
      assert.deepEqual(copy.options, t.options);
      const a = t.apply(input, ctx(3));
      const b = copy.apply(input, ctx(3));
      assert.deepEqual(a.clips.shape, [3, 4, 8, 8, 3]);
      assert.ok(a.clips.data instanceof Uint8Array);
      assert.equal(copyOfBatch(a.clips), copyOfBatch(b.clips), `${name} is deterministic given the context`);
      assert.deepEqual(a.partners, b.partners);
      assert.ok(copyOfBatch(a.clips) !== before, `${name} changes the clips`);
      if (name !== 'reverse') {
        // (a few tries: with 3 clips, splice has only 2 derangements and 3 cuts to choose from)
        assert.ok(
          [4, 5, 6].some((seed) => copyOfBatch(t.apply(input, ctx(3, seed)).clips) !== copyOfBatch(a.clips)),
          `${name}: another seed, other negatives`,
        );
        assert.ok(
          [1, 2, 3].some((epoch) => copyOfBatch(t.apply(input, ctx(3, 3, epoch)).clips) !== copyOfBatch(a.clips)),
          `${name}: another epoch, other negatives`,
        );
      }
    }
    assert.equal(copyOfBatch(input), before, 'the input is never modified');
  });

  it('refuses an unknown name, bad options, and malformed batches with clear errors', () => {
    assert.throws(() => createVideoNdaTransform('rotate'), {
      name: 'RangeError',
      message: `Cannot create a video NDA transform as the name must be one of ${VIDEO_NDA_TRANSFORM_NAMES.join(', ')}: current value is "rotate"`,
    });
    assert.throws(() => createVideoNdaTransform('hasOwnProperty'), RangeError);
    assert.throws(() => createVideoNdaTransform('splice', { fraction: [0.8, 0.2] }), RangeError);
    assert.throws(() => createVideoNdaTransform('splice', { cut: 'frame' }), RangeError);
    assert.throws(() => createVideoNdaTransform('shuffle', { k: 2 }), TypeError);
    assert.throws(() => createVideoNdaTransform('jigsaw', { k: 1 }), RangeError);
    assert.throws(() => createVideoNdaTransform('shuffle').apply(clips([2, 1, 2, 2, 3]), ctx(2)), {
      name: 'RangeError',
      message: 'Cannot shuffle the frames of clips as every clip must have at least 2 frames: current value is 1',
    });
    assert.throws(() => createVideoNdaTransform('splice').apply(clips([1, 4, 2, 2, 3]), ctx(1)), /at least 2 images/);
    assert.throws(() => createVideoNdaTransform('reverse').apply(clips([2, 4, 2, 2, 3]), ctx(3)), /one key per clip/);
    assert.throws(
      () => createVideoNdaTransform('static').apply({ data: new Uint8Array(5), shape: [1, 1, 1, 1, 3] }, ctx(1)),
      RangeError,
    );
    assert.throws(
      () => createVideoNdaTransform('jigsaw').apply({ data: new Uint8Array(12), shape: [1, 2, 2, 3] } as never, ctx(1)),
      /stacked clip batch of shape \[n, T, h, w, c\]/,
    );
    assert.throws(
      () => createVideoNdaTransform('jigsaw', { k: 3 }).apply(clips([1, 2, 4, 4, 3]), ctx(1)),
      /k must divide/,
    );
  });
});

describe('temporal video NDA', () => {
  it('shuffle: each clip gets a permutation of its frames that is never the identity (property)', () => {
    const t = createVideoNdaTransform('shuffle');
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        fc.boolean(),
        (T, n, seed, float) => {
          const input = clips([n, T, 2, 2, 1], float ? 'float32' : 'uint8', seed + 1);
          const r = t.apply(input, ctx(n, seed)) as FrameShuffleResult;
          assert.equal(r.partners, null);
          for (let i = 0; i < n; i++) {
            const order = Array.from(r.orders.subarray(i * T, (i + 1) * T));
            assert.deepEqual(
              [...order].sort((a, b) => a - b),
              Array.from({ length: T }, (_, k) => k),
              'a permutation',
            );
            assert.ok(
              order.some((f, k) => f !== k),
              'not the identity',
            );
            for (let k = 0; k < T; k++) assert.equal(frame(r.clips, i, k), frame(input, i, order[k] as number));
          }
        },
      ),
      { numRuns: 200 },
    );
    // every non-identity order of 3 frames occurs
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++)
      seen.add(Array.from((t.apply(clips([1, 3, 1, 1, 1]), ctx(1, seed)) as FrameShuffleResult).orders).join());
    assert.equal(seen.size, 5);
  });

  it('reverse: frame t is frame T-1-t; a palindromic clip is its own negative', () => {
    const t = createVideoNdaTransform('reverse');
    for (const dtype of ['uint8', 'float32'] as const) {
      const input = clips([2, 5, 3, 4, 3], dtype);
      const r = t.apply(input, ctx(2));
      for (let i = 0; i < 2; i++)
        for (let k = 0; k < 5; k++) assert.equal(frame(r.clips, i, k), frame(input, i, 4 - k));
      assert.equal(r.partners, null);
    }
    const s = still(clips([2, 4, 2, 2, 3]));
    assert.equal(copyOfBatch(t.apply(s, ctx(2)).clips), copyOfBatch(s));
  });

  it('splice: the head from the clip itself, the tail from a partner that is never itself; cut per clip or per batch (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 2, max: 5 }),
        fc.nat(),
        fc.constantFrom('clip' as const, 'batch' as const),
        (T, n, seed, cut) => {
          const input = clips([n, T, 2, 3, 1], 'float32', seed + 1);
          const r = createVideoNdaTransform('splice', { cut, fraction: [0, 1] }).apply(
            input,
            ctx(n, seed),
          ) as SpliceResult;
          for (let i = 0; i < n; i++) {
            const head = r.heads[i] as number;
            const partner = r.partners[i] as number;
            assert.ok(head >= 1 && head <= T - 1, `head ${head} of ${T}`);
            assert.notEqual(partner, i);
            for (let k = 0; k < T; k++) assert.equal(frame(r.clips, i, k), frame(input, k < head ? i : partner, k));
          }
          if (cut === 'batch') assert.equal(new Set(r.heads).size, 1);
        },
      ),
      { numRuns: 150 },
    );
    const heads = new Set<number>();
    for (let seed = 0; seed < 30; seed++)
      for (const h of (createVideoNdaTransform('splice').apply(clips([4, 8, 1, 1, 1]), ctx(4, seed)) as SpliceResult)
        .heads)
        heads.add(h);
    assert.deepEqual([...heads].sort(), [2, 3, 4, 5, 6], 'default fraction [0.25, 0.75] of 8 frames');
    const half = createVideoNdaTransform('splice', { fraction: [0.5, 0.5] }).apply(
      clips([3, 6, 1, 1, 1]),
      ctx(3),
    ) as SpliceResult;
    assert.deepEqual(Array.from(half.heads), [3, 3, 3]);
  });

  it('static: every frame of the negative is one frame of the clip, chosen per clip', () => {
    const t = createVideoNdaTransform('static');
    const chosen = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const input = clips([3, 4, 2, 2, 3], 'uint8', seed);
      const r = t.apply(input, ctx(3, seed)) as StaticClipResult;
      for (let i = 0; i < 3; i++) {
        const f = r.frames[i] as number;
        chosen.add(f);
        for (let k = 0; k < 4; k++) assert.equal(frame(r.clips, i, k), frame(input, i, f));
      }
    }
    assert.deepEqual([...chosen].sort(), [0, 1, 2, 3]);
  });
});

describe('spatial video NDA, consistent over frames', () => {
  const OPTIONS: Record<string, object> = {
    jigsaw: { k: 2, mode: 'strict' },
    cutout: { size: [2, 4] },
    shift: { offset: [1, 5] },
  };

  it('frame t of the result is the image transform of frame t of every clip, with the same context (uint8 and float32)', () => {
    for (const name of NDA_TRANSFORM_NAMES) {
      for (const dtype of ['uint8', 'float32'] as const) {
        const input = clips([4, 6, 8, 8, 3], dtype);
        const image = createNdaTransform(name, OPTIONS[name] ?? {});
        const r = createVideoNdaTransform(name, OPTIONS[name] ?? {}).apply(input, ctx(4)) as FramewiseResult;
        assert.equal(r.clips.data.constructor, input.data.constructor);
        for (let t = 0; t < 6; t++) {
          const ref = image.apply(frameBatch(input, t), ctx(4));
          assert.ok(sameImages(frameBatch(r.clips, t), ref.images), `${name} ${dtype} frame ${t}`);
          assert.deepEqual(ref.partners, r.partners, `${name}: the same partners in every frame`);
          const { images: _i, partners: _p, ...details } = ref as typeof ref & Record<string, unknown>;
          assert.deepEqual(details, r.details, `${name}: the same parameters in every frame`);
        }
      }
    }
  });

  it('transforms still clips into still clips: the same permutation, square, direction, lambda, box, shift and noise in every frame', () => {
    for (const name of NDA_TRANSFORM_NAMES) {
      for (const dtype of ['uint8', 'float32'] as const) {
        const input = still(clips([4, 5, 8, 8, 3], dtype, 7));
        const r = createVideoNdaTransform(name, OPTIONS[name] ?? {}).apply(input, ctx(4, 11));
        assert.ok(copyOfBatch(r.clips) !== copyOfBatch(input), `${name} changes the clips`);
        for (let i = 0; i < 4; i++)
          for (let t = 1; t < 5; t++)
            assert.equal(frame(r.clips, i, t), frame(r.clips, i, 0), `${name} ${dtype} clip ${i} frame ${t}`);
      }
    }
  });

  it('every spatial transform with its default options matches the image transform frame by frame, on distinct frames (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NDA_TRANSFORM_NAMES),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        (name, n, T, seed) => {
          const input = clips([n, T, 4, 6, 1], 'uint8', seed);
          const image = createNdaTransform(name);
          const r = createVideoNdaTransform(name).apply(input, ctx(n, seed));
          for (let t = 0; t < T; t++)
            assert.ok(sameImages(frameBatch(r.clips, t), image.apply(frameBatch(input, t), ctx(n, seed)).images));
        },
      ),
      { numRuns: 60 },
    );
  });
});
