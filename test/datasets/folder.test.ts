import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodePng } from '../../sources/datasets/encode-png.js';
import { convertFolder } from '../../sources/datasets/folder.js';
import { readShard } from '../cli/cli-helper.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A folder of classes: ant (1 png), cat (a.jpg, b.png, b.webp), dog (sub/c.PNG, notes.txt), .hidden (ignored). */
function makeFolder(): { dir: string; files: Record<string, Buffer> } {
  const dir = tempDir();
  const files: Record<string, Buffer> = {
    'ant/x.png': Buffer.from(encodePng(new Uint8Array(4 * 4).fill(9), 4, 4, 1)),
    'cat/a.jpg': Buffer.from('not really a jpeg, copied as is'),
    'cat/b.png': Buffer.from(encodePng(new Uint8Array(2 * 3 * 3).fill(200), 2, 3, 3)),
    'cat/b.webp': Buffer.from('webp bytes'),
    'dog/sub/c.PNG': Buffer.from(encodePng(new Uint8Array(1).fill(1), 1, 1, 1)),
    'dog/notes.txt': Buffer.from('not an image'),
    '.hidden/y.png': Buffer.from('hidden'),
  };
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
  return { dir, files };
}

describe('convertFolder', () => {
  it('classes in sorted folder order, images path by path, bytes under their own extension', async () => {
    const { dir, files } = makeFolder();
    const r = await convertFolder(dir, { out: tempDir() });
    assert.deepEqual(r.classes, ['ant', 'cat', 'dog']);
    assert.deepEqual(r.ignored, ['dog/notes.txt']);
    assert.equal(r.splits[0]!.samples, 5);
    const samples = await readShard(r.splits[0]!.shards[0]!.path);
    const expected: [string, string, number][] = [
      ['ant/x.png', 'png', 0],
      ['cat/a.jpg', 'jpg', 1],
      ['cat/b.png', 'png', 1],
      ['cat/b.webp', 'webp', 1],
      ['dog/sub/c.PNG', 'png', 2],
    ];
    assert.deepEqual(
      samples.map((s) => s.key),
      ['000000', '000001', '000002', '000003', '000004'],
    );
    for (const [i, [path, ext, label]] of expected.entries()) {
      const s = samples[i]!;
      assert.deepEqual([...s.fields.keys()], [ext, 'cls', 'json']);
      assert.ok(s.fields.get(ext)?.equals(files[path] as Buffer), `${path} copied byte for byte`);
      assert.equal(s.fields.get('cls')?.toString(), String(label));
      assert.deepEqual(JSON.parse(s.fields.get('json')?.toString() ?? ''), { label, class: r.classes[label], path });
    }
  });

  it('shuffles deterministically with a seed, and limits', async () => {
    const { dir } = makeFolder();
    const order = async (seed: number | undefined, name: string, limit?: number) => {
      const r = await convertFolder(dir, { out: join(tempDir(), name), seed, limit, split: 'all' });
      assert.ok(r.splits[0]!.shards[0]!.path.endsWith('all-000000.tar'));
      return (await readShard(r.splits[0]!.shards[0]!.path)).map(
        (s) => JSON.parse(s.fields.get('json')?.toString() ?? '').path as string,
      );
    };
    const sorted = await order(undefined, 'a');
    const s1 = await order(7, 'b');
    assert.deepEqual(await order(7, 'c'), s1);
    assert.deepEqual([...s1].sort(), [...sorted].sort());
    const others = await Promise.all([1, 2, 3, 4, 5].map((seed) => order(seed, `d${seed}`)));
    assert.ok(
      others.some((o) => o.join() !== sorted.join()),
      'some seed changes the order',
    );
    assert.deepEqual(await order(undefined, 'e', 2), sorted.slice(0, 2));
  });

  it('rejects a folder without class folders or without images', async () => {
    const empty = tempDir();
    await assert.rejects(convertFolder(empty, { out: join(empty, 'o') }), /one sub-folder per class/);
    mkdirSync(join(empty, 'cat'));
    writeFileSync(join(empty, 'cat', 'readme.md'), 'x');
    await assert.rejects(convertFolder(empty, { out: join(empty, 'o') }), /must hold images/);
  });
});
