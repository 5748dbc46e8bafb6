import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PerformanceObserver, constants as perf } from 'node:perf_hooks';
import sharp from 'sharp';
import { map } from 'rxjs';
import {
  GcHeadroom,
  growingPercent,
  MAX_GROWING_PERCENT,
  processGcHeadroom,
  type GcHeadroomHost,
} from '../../sources/gc-headroom.js';
import { createLoader } from '../../sources/loader.js';
import { fromShards } from '../../sources/from-shards.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { decode } from '../../operators/decode.js';
import { batch } from '../../operators/batch.js';
import { releaseBatch } from '../../operators/release-batch.js';
import { jpegTurbo } from '../../operators/image/jpeg-turbo.js';
import { Random } from '../../sources/random.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeShards } from './fixtures.js';

const MB = 2 ** 20;

/** A host whose heap size the test sets, recording the flags set and the watchers started. */
function fakeHost(userSetsGrowth = false) {
  const flags: string[] = [];
  let onFull: (() => void) | undefined;
  let watching = 0;
  const host: GcHeadroomHost & { used: number } = {
    used: 8 * MB,
    usedHeapBytes: () => host.used,
    setFlags: (f) => flags.push(f),
    watchFullCollections(cb) {
      watching++;
      onFull = cb;
      return () => {
        watching--;
        onFull = undefined;
      };
    },
    userSetsGrowth,
  };
  return { host, flags, fullCollection: () => onFull?.(), watching: () => watching };
}

describe('growingPercent', () => {
  it('lifts the limit by the headroom over the live heap, within bounds, and leaves large heaps to V8', () => {
    assert.equal(growingPercent(64 * MB, 8 * MB), 800);
    assert.equal(growingPercent(64 * MB, 9 * MB), 712); // ceil(711.1)
    assert.equal(growingPercent(64 * MB, 1 * MB), MAX_GROWING_PERCENT);
    assert.equal(growingPercent(64 * MB, 0), MAX_GROWING_PERCENT);
    assert.equal(growingPercent(64 * MB, 63 * MB), 102);
    assert.equal(growingPercent(64 * MB, 64 * MB), 0);
    assert.equal(growingPercent(64 * MB, 500 * MB), 0);
  });
});

describe('GcHeadroom', () => {
  it('sets the percent on the first hold, follows the heap after each full collection, and restores 0 on the last release', () => {
    const { host, flags, fullCollection, watching } = fakeHost();
    const headroom = new GcHeadroom(host);
    const release = headroom.hold(64);
    assert.deepEqual(flags, ['--heap-growing-percent=800']);
    assert.equal(headroom.percent, 800);
    assert.equal(watching(), 1);
    host.used = 16 * MB;
    fullCollection();
    assert.equal(headroom.percent, 400);
    host.used = 16 * MB;
    fullCollection(); // unchanged: not set again
    host.used = 100 * MB;
    fullCollection();
    assert.deepEqual(flags, ['--heap-growing-percent=800', '--heap-growing-percent=400', '--heap-growing-percent=0']);
    release();
    release(); // twice: nothing more
    assert.equal(watching(), 0);
    assert.equal(flags.length, 3); // already 0
  });

  it('keeps the largest headroom held, and watches once for all holders', () => {
    const { host, flags, watching } = fakeHost();
    const headroom = new GcHeadroom(host);
    const small = headroom.hold(16);
    const large = headroom.hold(64);
    assert.equal(watching(), 1);
    assert.equal(headroom.percent, 800);
    large();
    assert.equal(headroom.percent, 200);
    small();
    assert.equal(headroom.percent, 0);
    assert.equal(watching(), 0);
    assert.deepEqual(flags, [
      '--heap-growing-percent=200',
      '--heap-growing-percent=800',
      '--heap-growing-percent=200',
      '--heap-growing-percent=0',
    ]);
  });

  it('does nothing for 0 MB, or when node was started with its own --heap-growing-percent', () => {
    const off = fakeHost();
    new GcHeadroom(off.host).hold(0)();
    assert.deepEqual(off.flags, []);
    const user = fakeHost(true);
    const release = new GcHeadroom(user.host).hold(64);
    assert.equal(user.watching(), 0);
    release();
    assert.deepEqual(user.flags, []);
  });
});

describe('loader GC headroom', () => {
  it('is held while a run goes on and released on completion, on return() and on error', async () => {
    const { spec } = await writeShards(tempDir(), 2, 10);
    const loader = createLoader(fromShards(spec, { seed: 1 }), batch(4));
    assert.equal(processGcHeadroom.percent, 0);
    let during = 0;
    for await (const _ of loader) during = Math.max(during, processGcHeadroom.percent);
    assert.ok(during > 0, 'held during the run');
    assert.equal(processGcHeadroom.percent, 0, 'released on completion');

    for await (const _ of loader) break;
    assert.equal(processGcHeadroom.percent, 0, 'released on return()');

    const failing = createLoader(
      fromShards(spec, { seed: 1 }),
      map(() => {
        throw new Error('stage failed');
      }),
    );
    await assert.rejects(async () => {
      for await (const _ of failing);
    }, /stage failed/);
    assert.equal(processGcHeadroom.percent, 0, 'released on error');

    for await (const _ of loader.with({ gcHeadroomMb: 0 })) assert.equal(processGcHeadroom.percent, 0);
    assert.throws(() => loader.with({ gcHeadroomMb: -1 }), /gcHeadroomMb/);
  });

  it(
    'cuts the full collections of a photo pipeline (decode 224 crops into batches of 64) several times over',
    { skip: jpegTurbo() === null ? 'libturbojpeg.so.0 is not installed (apt-get install libturbojpeg0)' : false },
    async () => {
      const dir = tempDir();
      const writer = new ShardWriter(join(dir, 'photos-%02d.tar'), { maxSamples: 1000 });
      const rng = Random.derive(1, 'gc-headroom-test');
      const px = Buffer.alloc(256 * 256 * 3);
      for (let j = 0; j < px.length; j++) px[j] = rng.int(0, 255);
      const jpg = await sharp(px, { raw: { width: 256, height: 256, channels: 3 } })
        .blur(2)
        .jpeg({ quality: 85 })
        .toBuffer();
      for (let i = 0; i < 64; i++) await writer.write({ __key__: `p${i}`, jpg });
      await writer.close();

      /** Full collections V8 started while the loader delivers 120 batches (each 64 x 224 x 224 x 3 = 9.6 MB), released as a training loop does. */
      // 120, not 60: under a concurrent test run 60 batches once gave only 8 collections without the headroom
      const BATCHES = 120;
      const fullCollections = async (gcHeadroomMb: number): Promise<number> => {
        let full = 0;
        const observer = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) {
            const detail = (e as { detail?: { kind?: number; flags?: number } }).detail;
            // the loader's own forced collections (its stall watch, when the consumer waits) are not V8's choice
            const forced = ((detail?.flags ?? 0) & perf.NODE_PERFORMANCE_GC_FLAGS_FORCED) !== 0;
            if (detail?.kind === perf.NODE_PERFORMANCE_GC_MAJOR && !forced) full++;
          }
        });
        observer.observe({ entryTypes: ['gc'] });
        const loader = createLoader(
          fromShards(join(dir, 'photos-00.tar'), { seed: 1, epochs: Infinity }),
          decode({ randomCrop: { size: 224, seed: 1 } }),
          batch(64),
        ).with({ gcHeadroomMb });
        let n = 0;
        for await (const b of loader) {
          releaseBatch(b);
          if (++n === BATCHES) break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50)); // the observer reports after the collections
        observer.disconnect();
        return full;
      };
      const without = await fullCollections(0);
      const withHeadroom = await fullCollections(64);
      assert.ok(without >= 10, `without headroom: ${without} full collections in ${BATCHES} batches`);
      assert.ok(withHeadroom * 3 <= without, `with headroom: ${withHeadroom}, without: ${without}`);
    },
  );
});
