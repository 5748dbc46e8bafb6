import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fmnistStream } from '../../pipelines/fmnist-stream.js';
import { PipelineError } from '../../pipelines/pipeline-error.js';
import { encodePng } from '../../sources/datasets/encode-png.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { tempDir } from '../helpers/temp-dir.js';

async function shards(n: number, bad: number[] = []): Promise<string> {
  const dir = tempDir();
  const w = new ShardWriter(join(dir, 'p-%06d.tar'), { maxSamples: 5 });
  for (let i = 0; i < n; i++)
    await w.write({
      __key__: `k${String(i).padStart(3, '0')}`,
      png: bad.includes(i) ? Buffer.from('nope') : encodePng(new Uint8Array(9).fill(i), 3, 3, 1),
      cls: i % 2,
    });
  const paths = await w.close();
  return paths.join('::');
}

describe('fmnistStream', () => {
  it('runs given shards to the end: batches of batchSize, last one partial, accounting complete', async () => {
    const progress: number[] = [];
    const r = await fmnistStream.run(
      {
        shards: await shards(23),
        seed: 3,
        batchSize: 5,
        shuffle: 4,
      },
      {
        onProgress: (s) => progress.push(s),
      },
    );
    assert.deepEqual([r.samples, r.batches, r.seed, r.aborted], [23, 5, 3, false]);
    assert.deepEqual([r.accounting.seen, r.accounting.yielded, r.accounting.lost], [23, 23, 0]);
    assert.deepEqual(progress, [5, 10, 15, 20, 23]);
  });

  it('two epochs read everything twice', async () => {
    const r = await fmnistStream.run({ shards: await shards(7), seed: 1, batchSize: 64, epochs: 2 });
    assert.equal(r.accounting.yielded, 14);
    assert.equal(r.samples, 14);
  });

  it('stops early on abort, with nothing lost', async () => {
    const controller = new AbortController();
    const r = await fmnistStream.run(
      {
        shards: await shards(40),
        seed: 1,
        batchSize: 4,
        shuffle: 0,
      },
      {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      },
    );
    assert.equal(r.aborted, true);
    assert.equal(r.batches, 1);
    assert.equal(r.accounting.lost, 0);
    assert.equal(r.samples, 4);
    assert.ok(r.accounting.seen >= 4);
  });

  it('a bad image: PipelineError with the accounting under reraise; skipped under warnAndContinue', async () => {
    const spec = await shards(10, [6]);
    await assert.rejects(fmnistStream.run({ shards: spec, seed: 1, batchSize: 2, shuffle: 0 }), (e: unknown) => {
      assert.ok(e instanceof PipelineError);
      assert.equal(e.pipeline, 'fmnist-stream');
      assert.equal(e.accounting.lost, 0);
      assert.match(e.message, /k006/);
      return true;
    });
    const warnings: string[] = [];
    const listener = (w: Error) => warnings.push(w.message);
    process.on('warning', listener);
    try {
      const r = await fmnistStream.run({ shards: spec, seed: 1, batchSize: 2, handler: 'ignoreAndContinue' });
      assert.equal(r.accounting.yielded, 9);
      assert.equal(r.samples, 9);
      assert.equal(r.accounting.lost, 0);
    } finally {
      process.off('warning', listener);
    }
    assert.deepEqual(warnings, [], 'ignoreAndContinue is silent');
  });

  it('rejects bad options when declared', async () => {
    await assert.rejects(
      fmnistStream.run({ batchSize: 0, seed: 1 }),
      /batchSize must be an integer >= 1: current value is 0/,
    );
    await assert.rejects(fmnistStream.run({ shuffle: -1, seed: 1 }), /shuffle must be an integer >= 0/);
  });
});
