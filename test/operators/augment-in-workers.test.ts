import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { encode as encodePng } from 'fast-png';
import type { Piscina } from 'piscina';
import { augmentInWorkers, type AugmentStep } from '../../operators/augment-in-workers.js';
import { colorJitter } from '../../operators/color-jitter.js';
import { decode } from '../../operators/decode.js';
import { gaussianBlur } from '../../operators/gaussian-blur.js';
import { mapSamples } from '../../operators/map-samples.js';
import { normalize } from '../../operators/normalize.js';
import { randomFlip } from '../../operators/random-flip.js';
import { randomGrayscale } from '../../operators/random-grayscale.js';
import { randomResizedCrop } from '../../operators/random-resized-crop.js';
import { fromShards } from '../../sources/from-shards.js';
import { createLoader } from '../../sources/loader.js';
import { Random } from '../../sources/random.js';
import type { Image, Sample } from '../../sources/sample.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { tempDir } from '../helpers/temp-dir.js';

const T = { timeout: 60_000 };

const CHAIN: AugmentStep[] = [
  { op: 'randomResizedCrop', options: { size: 20, scale: [0.2, 1], seed: 1 } },
  { op: 'colorJitter', options: { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8, seed: 2 } },
  { op: 'randomGrayscale', options: { p: 0.3, seed: 3 } },
  { op: 'gaussianBlur', options: { sigma: [0.1, 2], p: 0.5, seed: 4 } },
  { op: 'randomFlip', options: { seed: 5 } },
  { op: 'normalize', options: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
];

/** The same chain as operators piped on the main thread. */
const mainChain = () => [
  randomResizedCrop({ size: 20, scale: [0.2, 1], seed: 1 }),
  colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8, seed: 2 }),
  randomGrayscale({ p: 0.3, seed: 3 }),
  gaussianBlur({ sigma: [0.1, 2], p: 0.5, seed: 4 }),
  randomFlip({ seed: 5 }),
  normalize({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }),
];

/** A shard of `n` samples holding random-pixel RGB PNGs of assorted sizes. */
async function writeShard(n: number): Promise<string> {
  const dir = tempDir();
  const w = new ShardWriter(join(dir, 'a-%03d.tar'));
  const rng = Random.derive(11);
  for (let i = 0; i < n; i++) {
    const height = 24 + 3 * i;
    const width = 30 + 2 * i;
    const data = Uint8Array.from({ length: height * width * 3 }, () => rng.int(0, 256));
    await w.write({
      __key__: `k${i}`,
      png: Buffer.from(encodePng({ width, height, data, channels: 3, depth: 8 })),
      cls: String(i),
    });
  }
  await w.close();
  return join(dir, 'a-000.tar');
}

/** Records each pool and its threads (created up front). */
function poolSpy(): { onPool: (p: Piscina) => void; workers: Worker[]; pools: number } {
  const spy = { workers: [] as Worker[], pools: 0, onPool: (_: Piscina): void => undefined };
  spy.onPool = (p) => {
    spy.pools++;
    spy.workers.push(...p.threads);
  };
  return spy;
}

async function allExited(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.filter((w) => w.threadId >= 0).map((w) => once(w, 'exit')));
  for (const w of workers) assert.equal(w.threadId, -1);
}

describe('augmentInWorkers', () => {
  it(
    'equals the same operators on the main thread, pixel for pixel, over 2 epochs; threads end; nothing lost',
    T,
    async () => {
      const shard = await writeShard(6);
      const source = () => fromShards(shard, { seed: 1, epochs: 2 });
      const spy = poolSpy();
      const it = createLoader(
        source(),
        decode({ image: 'rgb' }),
        augmentInWorkers(CHAIN, { concurrency: 3, threads: 2, onPool: spy.onPool }),
      ).iterate();
      const inWorkers: Sample[] = [];
      for await (const s of it) inWorkers.push(s);
      const acc = it.accounting();
      assert.equal(acc.lost, 0);
      assert.equal(acc.yielded, 12);
      assert.deepEqual(acc.skipped, {});

      const onMain: Sample[] = [];
      for await (const s of createLoader<Sample>(source(), [decode({ image: 'rgb' }), ...mainChain()])) onMain.push(s);

      assert.equal(inWorkers.length, 12);
      assert.deepEqual(
        inWorkers.map((s) => s.__key__),
        onMain.map((s) => s.__key__),
      );
      inWorkers.forEach((s, i) => {
        const a = s.png as Image;
        const b = onMain[i]?.png as Image;
        assert.ok(a.data instanceof Float32Array);
        assert.deepEqual(a.shape, [20, 20, 3]);
        assert.deepEqual(a.shape, b.shape);
        assert.deepEqual(a.data, b.data, `sample ${i} (${s.__key__})`);
        assert.equal(s.__url__, onMain[i]?.__url__);
        assert.equal('__epoch__' in s, false);
      });
      // Per-epoch draws: each key's two epochs differ (the 6 samples of an epoch are one pass).
      const byKey = new Map<string, Float32Array[]>();
      for (const s of inWorkers)
        byKey.set(s.__key__, [...(byKey.get(s.__key__) ?? []), (s.png as Image).data as Float32Array]);
      for (const [key, views] of byKey) {
        assert.equal(views.length, 2);
        assert.notDeepEqual(views[0], views[1], `key ${key} gets new draws in epoch 2`);
      }
      assert.equal(spy.pools, 1);
      assert.equal(spy.workers.length, 2);
      await allExited(spy.workers);
    },
  );

  it('a sample a step cannot process is skipped and counted through the handler', T, async () => {
    const shard = await writeShard(4);
    const spy = poolSpy();
    const chain: AugmentStep[] = [{ op: 'randomFlip', options: { seed: 1, p: 1, fields: ['png'] } }];
    const it = createLoader(
      fromShards(shard, { seed: 1 }),
      decode({ image: 'rgb' }),
      mapSamples((s: Sample) => (s.__key__ === 'k1' ? { ...s, png: undefined } : s)), // k1 loses its image
      augmentInWorkers(chain, { concurrency: 2, threads: 1, handler: 'ignoreAndContinue', onPool: spy.onPool }),
    ).iterate();
    const keys: string[] = [];
    for await (const s of it) keys.push(s.__key__);
    assert.deepEqual(keys, ['k0', 'k2', 'k3']);
    const acc = it.accounting();
    assert.equal(acc.lost, 0);
    assert.equal(acc.yielded, 3);
    assert.deepEqual(acc.skipped, { 'worker-map': 1 });
    await allExited(spy.workers);
  });

  it('rejects a bad chain when declared', () => {
    const rrc = { op: 'randomResizedCrop', options: { size: 8, seed: 1 } } as const;
    assert.throws(() => augmentInWorkers([rrc, { op: 'solarize', options: { seed: 1 } } as unknown as AugmentStep]), {
      name: 'RangeError',
      message:
        'Cannot augment in workers as chain[1].op must be one of randomResizedCrop, colorJitter, randomGrayscale, gaussianBlur, randomFlip, randomCrop, normalize: current value is "solarize"',
    });
    assert.throws(
      () => augmentInWorkers([{ op: 'colorJitter', options: { brightness: 0.4 } } as unknown as AugmentStep]),
      {
        name: 'RangeError',
        message: /^Cannot augment in workers as chain\[0\]\.options\.seed must be given \(colorJitter is random/,
      },
    );
    assert.throws(
      () => augmentInWorkers([{ op: 'randomFlip', options: { seed: 1, p: () => 0.5 } } as unknown as AugmentStep]),
      {
        name: 'TypeError',
        message:
          /^Cannot augment in workers as chain\[0\]\.options\.p must be JSON .*: current value is "a function p"$/,
      },
    );
    assert.throws(() => augmentInWorkers([{ op: 'randomFlip', options: { seed: 1, p: Number.NaN } }]), {
      name: 'TypeError',
      message: /chain\[0\]\.options\.p must be JSON/,
    });
    assert.throws(
      () =>
        augmentInWorkers([{ op: 'randomFlip', options: { seed: 1, handler: 'reraise' } } as unknown as AugmentStep]),
      { name: 'RangeError', message: /chain\[0\]\.options must not have "handler"/ },
    );
    assert.throws(() => augmentInWorkers([{ op: 7 } as unknown as AugmentStep]), {
      name: 'TypeError',
      message: /chain\[0\]\.op must be a string/,
    });
    assert.throws(() => augmentInWorkers([]), { name: 'RangeError', message: /at least one step/ });
    assert.throws(() => augmentInWorkers('randomFlip' as unknown as AugmentStep[]), TypeError);
    // The operator's own validation runs at declaration too.
    assert.throws(() => augmentInWorkers([{ op: 'randomResizedCrop', options: { size: 8, scale: [0, 1], seed: 1 } }]), {
      name: 'RangeError',
      message: /^Cannot create a random resized crop as scale\[0\] must be > 0/,
    });
    assert.throws(() => augmentInWorkers([rrc], { concurrency: 0 }), { name: 'RangeError', message: /concurrency/ });
    // normalize draws nothing, so it needs no seed.
    assert.doesNotThrow(() => augmentInWorkers([rrc, { op: 'normalize', options: { mean: 0.5, std: 0.5 } }]));
  });
});
