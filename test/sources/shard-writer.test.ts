import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ShardWriter, partialShardName } from '../../sources/shard-writer.js';
import { writeSplit } from '../../sources/datasets/write-split.js';
import type { ShardInfo } from '../../sources/datasets/convert-options.js';
import { readShard } from '../cli/cli-helper.js';
import { tempDir } from '../helpers/temp-dir.js';

const sample = (i: number) => ({ __key__: `k${String(i).padStart(4, '0')}`, bin: Buffer.alloc(600, i), cls: i });

describe('ShardWriter: atomic shards (issue 14 item 2)', () => {
  it('a shard is written as <name>.partial and renamed only when complete', async () => {
    const dir = tempDir();
    const w = new ShardWriter(join(dir, 's-%03d.tar'), { maxSamples: 2 });
    await w.write(sample(0));
    await new Promise((r) => setTimeout(r, 20)); // the file opens asynchronously
    assert.deepEqual(readdirSync(dir), ['s-000.tar.partial']);
    await w.write(sample(1));
    await w.write(sample(2)); // closes s-000 first
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(readdirSync(dir).sort(), ['s-000.tar', 's-001.tar.partial']);
    assert.deepEqual(w.completed, [join(dir, 's-000.tar')]);
    assert.deepEqual(await w.close(), [join(dir, 's-000.tar'), join(dir, 's-001.tar')]);
    assert.deepEqual(readdirSync(dir).sort(), ['s-000.tar', 's-001.tar']);
    assert.deepEqual(
      (await readShard(join(dir, 's-001.tar'))).map((s) => s.key),
      ['k0002'],
    );
  });

  it('abort removes the partial shard and keeps the complete ones', async () => {
    const dir = tempDir();
    const w = new ShardWriter(join(dir, 's-%03d.tar'), { maxSamples: 2 });
    for (let i = 0; i < 3; i++) await w.write(sample(i));
    assert.deepEqual(await w.abort(), [join(dir, 's-000.tar')]);
    assert.deepEqual(readdirSync(dir), ['s-000.tar']);
    assert.equal(existsSync(partialShardName(join(dir, 's-001.tar'))), false);
    assert.deepEqual(await w.abort(), [join(dir, 's-000.tar')]); // idempotent
    await assert.rejects(w.write(sample(9)), /the writer is closed/);
  });

  it('abort while the new shard file is still opening leaves no partial file behind (the open finishes first)', async () => {
    for (let round = 0; round < 20; round++) {
      const dir = tempDir();
      const w = new ShardWriter(join(dir, 's-%03d.tar'), { maxSamples: 1 });
      await w.write(sample(0));
      await w.write(sample(1)); // closes s-000, starts s-001: its open is under way
      assert.deepEqual(await w.abort(), [join(dir, 's-000.tar')]);
      await new Promise((r) => setTimeout(r, 5)); // an open that outlived the removal would show now
      assert.deepEqual(readdirSync(dir), ['s-000.tar'], `round ${round}`);
    }
  });

  it('a folder that cannot be made is one Error naming the shard (no unhandled stream error)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'not a folder');
    const w = new ShardWriter(join(dir, 'file', 'out', 's-%03d.tar'));
    await assert.rejects(w.write(sample(0)), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /^Cannot write shard .*file\/out\/s-000\.tar as ENOTDIR/);
      assert.equal(e.message.includes('\n'), false);
      return true;
    });
  });

  it('writeSplit: an abort mid-split keeps the complete shards (reported), removes the partial one, and rejects', async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const shards: ShardInfo[] = [];
    async function* samples() {
      for (let i = 0; ; i++) {
        if (i === 5) controller.abort(new Error('stopped by SIGINT'));
        yield sample(i);
      }
    }
    await assert.rejects(
      writeSplit('train', samples(), {
        out: dir,
        maxSamples: 2,
        signal: controller.signal,
        onShard: (s) => shards.push(s),
      }),
      /stopped by SIGINT/,
    );
    assert.deepEqual(
      shards.map((s) => s.path),
      [join(dir, 'train-000000.tar'), join(dir, 'train-000001.tar')],
    );
    assert.deepEqual(readdirSync(dir).sort(), ['train-000000.tar', 'train-000001.tar']);
  });

  it('writeSplit: a bad out is one line naming the folder, before any sample is read', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    let read = 0;
    function* samples() {
      read++;
      yield sample(0);
    }
    await assert.rejects(
      writeSplit('train', samples(), { out: join(dir, 'file', 'out') }),
      /^Error: Cannot write shards to .*file\/out as ENOTDIR \(/,
    );
    assert.equal(read, 0);
  });
});
