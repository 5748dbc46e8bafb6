import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, from, map, toArray } from 'rxjs';
import { batch } from '../../operators/batch.js';
import { cutmix } from '../../operators/cutmix.js';
import { cutout } from '../../operators/cutout.js';
import { jigsaw } from '../../operators/jigsaw.js';
import { mixup } from '../../operators/mixup.js';
import { noise } from '../../operators/noise.js';
import { shift } from '../../operators/shift.js';
import { stitch } from '../../operators/stitch.js';
import { NDA_TRANSFORM_NAMES, createNdaTransform } from '../../operators/internal/nda-transforms.js';
import type { ImageBatch } from '../../sources/sample.js';
import { keysOf, pixels, sameImages } from '../helpers/nda-batch.js';
import { RecordingLedger } from '../helpers/recording-ledger.js';

const OPTIONS: Record<string, object> = {
  jigsaw: { k: 4, mode: 'strict' },
  stitch: { p: 0.3 },
  mixup: { alpha: 2 },
  cutout: { size: [2, 5] },
  cutmix: { beta: 0.5 },
  shift: { offset: [1, 6] },
  noise: { range: [-1, 1] },
};

describe('createNdaTransform', () => {
  it('builds every transform by name and rebuilds an equal one from its (name, options) as JSON', () => {
    assert.deepEqual([...NDA_TRANSFORM_NAMES].sort(), [
      'cutmix',
      'cutout',
      'jigsaw',
      'mixup',
      'noise',
      'shift',
      'stitch',
    ]);
    const context = { seed: 3, epoch: 1, keys: keysOf(4) };
    for (const name of NDA_TRANSFORM_NAMES) {
      for (const float of [false, true]) {
        const images = pixels([4, 16, 16, 3], float ? 'float32' : 'uint8');
        const t = createNdaTransform(name, OPTIONS[name]);
        assert.equal(t.name, name);
        const copy = createNdaTransform(t.name, JSON.parse(JSON.stringify(t.options)) as object);
        assert.deepEqual(copy.options, t.options);
        const a = t.apply(images, context);
        const b = copy.apply(images, context);
        assert.ok(sameImages(a.images, b.images), name);
        assert.deepEqual(a.partners, b.partners);
        assert.ok(!sameImages(a.images, images), `${name} changes the images`);
        const defaults = createNdaTransform(name);
        assert.deepEqual(
          createNdaTransform(name, JSON.parse(JSON.stringify(defaults.options)) as object).options,
          defaults.options,
        );
      }
    }
  });

  it('writes into a reused output buffer exactly what it writes into a fresh one, overwriting old values', () => {
    for (const name of NDA_TRANSFORM_NAMES) {
      for (const float of [false, true]) {
        const images = pixels([4, 16, 16, 3], float ? 'float32' : 'uint8');
        const t = createNdaTransform(name, OPTIONS[name]);
        const into = float ? new Float32Array(images.data.length) : new Uint8Array(images.data.length);
        for (let epoch = 0; epoch < 3; epoch++) {
          const context = { seed: 3, epoch, keys: keysOf(4) };
          into.fill(float ? Number.NaN : 77); // stale values from an earlier batch must not survive
          const fresh = t.apply(images, context);
          const reused = t.apply(images, context, into);
          assert.equal(reused.images.data, into, `${name}: the negatives are the given buffer`);
          assert.ok(sameImages(fresh.images, reused.images), `${name} ${float ? 'float32' : 'uint8'} epoch ${epoch}`);
          assert.deepEqual(reused.partners, fresh.partners);
        }
      }
    }
  });

  it('refuses an output buffer of another type or length, or one that overlaps the input', () => {
    const images = pixels([4, 16, 16, 3], 'uint8');
    const context = { seed: 3, epoch: 0, keys: keysOf(4) };
    for (const name of NDA_TRANSFORM_NAMES) {
      const t = createNdaTransform(name, OPTIONS[name]);
      assert.throws(() => t.apply(images, context, new Float32Array(images.data.length)), {
        name: 'TypeError',
        message: `Cannot make ${name} negatives as the output buffer must be a Uint8Array of 3072 values like the input: current value is a Float32Array of 3072`,
      });
      assert.throws(() => t.apply(images, context, new Uint8Array(100)), TypeError);
      assert.throws(() => t.apply(images, context, images.data), {
        name: 'TypeError',
        message: `Cannot make ${name} negatives as the output buffer must not overlap the input: current value is a view of the same memory`,
      });
    }
  });

  it('refuses an unknown name, and bad options as the factory does', () => {
    assert.throws(() => createNdaTransform('rotate', {}), {
      name: 'RangeError',
      message:
        'Cannot create an NDA transform as the name must be one of jigsaw, stitch, mixup, cutout, cutmix, shift, noise: current value is "rotate"',
    });
    assert.throws(() => createNdaTransform('toString', {}), RangeError);
    assert.throws(() => createNdaTransform('mixup', { alpha: 0 }), RangeError);
    assert.throws(() => createNdaTransform('jigsaw', { k: 1 }), RangeError);
    assert.throws(() => createNdaTransform('stitch', { p: 2 }), RangeError);
    assert.throws(() => createNdaTransform('cutmix', null as never), TypeError);
  });
});

describe('NDA operators in a pipeline', () => {
  it('give the same negatives whatever produced the batches (batch() from samples, or a hand-made batch)', async () => {
    const ledger = new RecordingLedger();
    const images = pixels([8, 8, 8, 3]);
    const per = 8 * 8 * 3;
    const samples = keysOf(8).map((k, i) =>
      ledger.sample(k, { png: { data: images.data.slice(i * per, (i + 1) * per), shape: [8, 8, 3] }, cls: i }),
    );
    const ops = {
      jigsaw: () => jigsaw({ seed: 5 }),
      stitch: () => stitch({ seed: 5 }),
      mixup: () => mixup({ seed: 5 }),
      cutout: () => cutout({ seed: 5 }),
      cutmix: () => cutmix({ seed: 5 }),
      shift: () => shift({ seed: 5 }),
      noise: () => noise({ seed: 5 }),
    };
    for (const [name, op] of Object.entries(ops)) {
      const batched = await firstValueFrom(
        from(samples).pipe(
          map((s) => ({ ...s })),
          batch(4),
          op(),
          toArray(),
        ),
      );
      const t = createNdaTransform(name);
      for (const [b, out] of batched.entries()) {
        const keys = keysOf(8).slice(4 * b, 4 * b + 4);
        const stacked: ImageBatch = { data: images.data.slice(4 * b * per, (4 * b + 4) * per), shape: [4, 8, 8, 3] };
        const direct = t.apply(stacked, { seed: 5, epoch: 0, keys });
        assert.ok(sameImages(out.png as ImageBatch, direct.images), name);
        if (direct.partners)
          assert.deepEqual(
            out.__partner__,
            Array.from(direct.partners, (p) => keys[p]),
          );
        assert.deepEqual(
          Array.from(out.cls as Float64Array),
          [0, 1, 2, 3].map((j) => 4 * b + j),
        );
      }
    }
  });
});
