import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cutmix } from '../../../operators/cutmix.js';
import { cutmixTransform } from '../../../operators/internal/nda-cutmix.js';
import { drawPartners } from '../../../operators/internal/nda-checks.js';
import { mixupTransform } from '../../../operators/internal/nda-mixup.js';
import { stitchTransform } from '../../../operators/internal/nda-stitch.js';
import { batchRandom, type NdaContext } from '../../../operators/internal/nda-transform.js';
import { mixup } from '../../../operators/mixup.js';
import { stitch } from '../../../operators/stitch.js';
import { Random } from '../../../sources/random.js';
import { keysOf, pixel, pixels } from '../../helpers/nda-batch.js';

const ctx = (n: number, seed = 1, epoch = 0): NdaContext => ({ seed, epoch, keys: keysOf(n) });

describe("partner draws: 'derangement' (default) and 'official'", () => {
  it('official is a uniform non-identity permutation: fixed points at the official rate (n = 4: 5/23 per image), never the identity', () => {
    const n = 4;
    const runs = 4000;
    let fixed = 0;
    const seen = new Set<string>();
    for (let r = 0; r < runs; r++) {
      const p = drawPartners('test', n, Random.derive(1, 'official', r), 'official');
      assert.deepEqual([...p].sort(), [0, 1, 2, 3], 'a permutation');
      assert.ok(
        p.some((v, i) => v !== i),
        'not the identity',
      );
      seen.add(p.join());
      for (let i = 0; i < n; i++) if (p[i] === i) fixed++;
    }
    assert.equal(seen.size, 23, 'all 4! - 1 non-identity permutations occur');
    // P(p[i] = i | p != id) = (3! - 1) / (4! - 1) = 5/23 ~ 0.217; 16,000 draws: sd ~ 0.0033
    const rate = fixed / (runs * n);
    assert.ok(Math.abs(rate - 5 / 23) < 0.015, `fixed-point rate ${rate}`);
    for (let r = 0; r < 500; r++) {
      const d = drawPartners('test', n, Random.derive(1, 'derangement', r));
      assert.ok(
        d.every((v, i) => v !== i),
        'a derangement has no fixed point',
      );
    }
  });

  it('stitch, mixup and cutmix take the official draw: a self-partnered image is its own negative', () => {
    const n = 3;
    const input = pixels([n, 8, 8, 3], 'uint8', 4);
    const transforms = [
      stitchTransform({ partners: 'official' }),
      mixupTransform({ partners: 'official' }),
      cutmixTransform({ partners: 'official', beta: 1 }),
    ];
    for (const t of transforms) {
      assert.equal((t.options as { partners: string }).partners, 'official');
      let selfPartnered = 0;
      for (let b = 0; b < 60; b++) {
        const context = ctx(n, 2, b);
        const r = t.apply(input, context);
        // the partners are the first draw of the batch's generator
        assert.deepEqual(r.partners, drawPartners('test', n, batchRandom(t.name, context), 'official'));
        for (let i = 0; i < n; i++) {
          if (r.partners[i] !== i) continue;
          selfPartnered++;
          for (let y = 0; y < 8; y++)
            for (let x = 0; x < 8; x++) assert.deepEqual(pixel(r.images, i, y, x), pixel(input, i, y, x));
        }
      }
      assert.ok(selfPartnered > 0, `${t.name}: some image drew itself in 60 batches of 3`);
      // the default never pairs an image with itself
      for (let b = 0; b < 60; b++) {
        const d = (
          t.name === 'stitch' ? stitchTransform() : t.name === 'mixup' ? mixupTransform() : cutmixTransform()
        ).apply(input, ctx(n, 2, b));
        assert.ok(
          d.partners.every((v, i) => v !== i),
          `${t.name} default is a derangement`,
        );
      }
    }
  });

  it('rejects an unknown draw, in the transforms and the operators', () => {
    const message = /partners must be 'derangement' or 'official': current value is "random"/;
    assert.throws(() => stitchTransform({ partners: 'random' as never }), message);
    assert.throws(() => mixupTransform({ partners: 'random' as never }), message);
    assert.throws(() => cutmixTransform({ partners: 'random' as never }), message);
    assert.throws(() => stitch({ partners: 'random' as never }), message);
    assert.throws(() => mixup({ partners: 'random' as never }), message);
    assert.throws(() => cutmix({ partners: 'random' as never }), message);
  });
});

describe('mixupTransform lambda', () => {
  it('a fixed lambda (0.5, the OOD protocol) replaces the Beta draw: each negative is the rounded mean of the pair', () => {
    const input = pixels([4, 4, 4, 1], 'uint8', 8);
    const r = mixupTransform({ lambda: 0.5 }).apply(input, ctx(4, 5));
    assert.equal(r.lambda, 0.5);
    for (let i = 0; i < 4; i++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 4; x++) {
          const a = pixel(input, i, y, x)[0]!;
          const b = pixel(input, r.partners[i]!, y, x)[0]!;
          assert.equal(pixel(r.images, i, y, x)[0], Math.floor((a + b) / 2 + 0.5));
        }
    assert.throws(
      () => mixupTransform({ lambda: 1.5 }),
      /Cannot create a mixup transform as lambda must be in \[0, 1\]: current value is 1.5/,
    );
  });
});
