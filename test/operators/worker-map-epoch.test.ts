import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerMap } from '../../operators/worker-map.js';
import { mapSamples } from '../../operators/map-samples.js';
import { sampleRandom } from '../../operators/internal/sample-random.js';
import { createLoader } from '../../sources/loader.js';
import { fromShards } from '../../sources/from-shards.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/worker-epoch-fixture.js', import.meta.url));

describe('workerMap and per-epoch randomness', () => {
  it("a seeded draw inside a worker thread equals the main thread's, epoch by epoch, and no __epoch__ leaks out", async () => {
    const dir = tempDir();
    const w = new ShardWriter(join(dir, 's-%03d.tar'));
    for (const k of ['a', 'b', 'c']) await w.write({ __key__: k, txt: k });
    await w.close();
    const source = () => fromShards(join(dir, 's-000.tar'), { seed: 1, epochs: 3 });
    const inWorker: unknown[] = [];
    for await (const s of createLoader(source(), workerMap(FIXTURE, { concurrency: 2 }))) {
      assert.equal('__epoch__' in s, false);
      inWorker.push([s.__key__, s.draw]);
    }
    const onMain: unknown[] = [];
    for await (const s of createLoader(
      source(),
      mapSamples((s) => ({ ...s, draw: sampleRandom(7, 'worker-epoch-test', s).int(0, 1_000_000_000) })),
    ))
      onMain.push([s.__key__, s.draw]);
    assert.deepEqual(inWorker, onMain);
    const drawsOfA = inWorker.filter((x) => (x as [string])[0] === 'a').map((x) => (x as [string, number])[1]);
    assert.equal(new Set(drawsOfA).size, 3, 'each epoch draws anew');
  });
});
