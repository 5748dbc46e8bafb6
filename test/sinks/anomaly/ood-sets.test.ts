import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildOodSets } from '../../../sinks/anomaly/ood-sets.js';
import { createNdaTransform } from '../../../operators/internal/nda-transforms.js';
import { createCorruption } from '../../../sinks/anomaly/corruptions.js';
import { Random } from '../../../sources/random.js';
import type { ImageBatch } from '../../../sources/sample.js';

function images(n: number, side = 8): ImageBatch {
  const rng = Random.derive(3, 'ood');
  const data = new Uint8Array(n * side * side);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
  return { data, shape: [n, side, side, 1] };
}

describe('buildOodSets', () => {
  it('builds one named set per NDA transform and corruption, each the transform of the test images', () => {
    const test = images(4);
    const before = test.data.slice();
    const keys = ['a', 'b', 'c', 'd'];
    const sets = buildOodSets(test, {
      nda: ['jigsaw', 'stitch'],
      corruptions: ['contrast', 'impulse-noise'],
      seed: 9,
      keys,
    });
    assert.deepEqual(
      sets.map((s) => s.name),
      ['nda/jigsaw', 'nda/stitch', 'corruption/contrast', 'corruption/impulse-noise'],
    );
    for (const s of sets) assert.deepEqual(s.images.shape, [4, 8, 8, 1]);
    assert.deepEqual(
      sets[0]!.images.data,
      createNdaTransform('jigsaw', {}).apply(test, { seed: 9, epoch: 0, keys }).images.data,
    );
    assert.deepEqual(sets[3]!.images.data, createCorruption('impulse-noise').apply(test, { seed: 9, keys }).data);
    assert.deepEqual(test.data, before);
    for (const s of sets) assert.notDeepEqual(s.images.data, test.data, s.name);
  });

  it('defaults: five NDA sets and six corruption sets, deterministic given the seed', () => {
    const test = images(3);
    const a = buildOodSets(test, { seed: 1 });
    assert.equal(a.length, 11);
    assert.deepEqual(
      a.map((s) => s.name),
      [
        'nda/jigsaw',
        'nda/stitch',
        'nda/mixup',
        'nda/cutout',
        'nda/cutmix',
        'corruption/gaussian-noise',
        'corruption/shot-noise',
        'corruption/impulse-noise',
        'corruption/gaussian-blur',
        'corruption/contrast',
        'corruption/pixelate',
      ],
    );
    const b = buildOodSets(test, { seed: 1 });
    for (let i = 0; i < a.length; i++) assert.deepEqual(b[i]!.images.data, a[i]!.images.data);
    const c = buildOodSets(test, { seed: 2, nda: ['jigsaw'], corruptions: [] });
    assert.notDeepEqual(c[0]!.images.data, a[0]!.images.data);
  });

  it('rejects unknown names before building anything, repeated names and mismatched keys', () => {
    assert.throws(
      () => buildOodSets(images(2), { nda: ['rotate'] }),
      /create an NDA transform as the name must be one of/,
    );
    assert.throws(
      () => buildOodSets(images(2), { corruptions: ['fog'] }),
      /create a corruption as the name must be one of/,
    );
    assert.throws(() => buildOodSets(images(2), { nda: ['jigsaw', 'jigsaw'] }), /nda must not repeat a name/);
    assert.throws(() => buildOodSets(images(2), { keys: ['a'] }), /keys must have one key per test image \(2\)/);
    assert.throws(() => buildOodSets(images(2), { nda: 'jigsaw' as unknown as string[] }), TypeError);
  });
});
