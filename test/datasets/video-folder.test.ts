import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { convertVideoFolder } from '../../sources/datasets/video-folder.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeVideoFolderTree, splitSamples } from '../helpers/video-trees.js';

describe('convertVideoFolder', () => {
  it('classes in sorted folder order, videos path by path under their own extension, other files ignored', async () => {
    const dir = tempDir();
    const files = makeVideoFolderTree(dir);
    const r = await convertVideoFolder(dir, { out: tempDir() });
    assert.deepEqual(r.classes, ['cat', 'dog']);
    assert.deepEqual(r.ignored, ['dog/notes.txt']);
    const samples = await splitSamples(r, 'train');
    const expected: [string, string, number][] = [
      ['cat/a.mp4', 'mp4', 0],
      ['cat/sub/b.avi', 'avi', 0],
      ['dog/c.webm', 'webm', 1],
    ];
    assert.deepEqual(
      samples.map((s) => s.key),
      ['000000', '000001', '000002'],
    );
    for (const [i, [path, ext, label]] of expected.entries()) {
      const s = samples[i]!;
      assert.deepEqual([...s.fields.keys()], [ext, 'cls', 'json']);
      assert.ok(s.fields.get(ext)!.equals(files[path]!), `${path} byte for byte`);
      assert.equal(s.fields.get('cls')!.toString(), String(label));
      assert.deepEqual(JSON.parse(s.fields.get('json')!.toString()), {
        label,
        class: r.classes[label],
        split: 'train',
        path,
      });
    }
    const named = await convertVideoFolder(dir, { out: tempDir(), split: 'all', extensions: ['webm'], limit: 5 });
    assert.deepEqual(
      named.splits.map((s) => [s.split, s.samples]),
      [['all', 1]],
    );
    assert.ok(named.splits[0]!.shards[0]!.path.endsWith('all-000000.tar'));
  });

  it('train/ and test/ split folders: one split each, class indices from the union of their classes', async () => {
    const dir = tempDir();
    const files = makeVideoFolderTree(dir, { splits: true });
    const r = await convertVideoFolder(dir, { out: tempDir() });
    assert.deepEqual(r.classes, ['cat', 'dog']);
    assert.deepEqual(
      r.splits.map((s) => [s.split, s.samples]),
      [
        ['train', 3],
        ['test', 1],
      ],
    );
    const [test] = await splitSamples(r, 'test');
    assert.ok(test!.fields.get('mkv')!.equals(files['test/dog/d.mkv']!));
    assert.equal(test!.fields.get('cls')!.toString(), '1', 'dog is class 1 although test/ has no cat');
    assert.deepEqual(JSON.parse(test!.fields.get('json')!.toString()), {
      label: 1,
      class: 'dog',
      split: 'test',
      path: 'test/dog/d.mkv',
    });
  });

  it('shuffles deterministically with a seed', async () => {
    const dir = tempDir();
    makeVideoFolderTree(dir);
    const paths = async (seed?: number) =>
      (await splitSamples(await convertVideoFolder(dir, { out: tempDir(), seed }), 'train')).map(
        (s) => JSON.parse(s.fields.get('json')!.toString()).path as string,
      );
    const sorted = await paths();
    const a = await paths(11);
    assert.deepEqual(await paths(11), a);
    assert.deepEqual([...a].sort(), [...sorted].sort());
    const others = await Promise.all([1, 2, 3, 4, 5].map((s) => paths(s)));
    assert.ok(
      others.some((o) => o.join() !== sorted.join()),
      'some seed changes the order',
    );
  });

  it('rejects a folder without class folders or without videos', async () => {
    const empty = tempDir();
    await assert.rejects(
      convertVideoFolder(empty, { out: join(empty, 'o') }),
      /Cannot convert video folder .* as it must hold one sub-folder per class/,
    );
    mkdirSync(join(empty, 'cat'));
    writeFileSync(join(empty, 'cat', 'x.png'), 'x');
    await assert.rejects(
      convertVideoFolder(empty, { out: join(empty, 'o') }),
      /its class folders must hold videos \(mp4, avi, webm, mkv, mov\)/,
    );
    assert.throws(
      () => convertVideoFolder(empty, { out: empty, split: 'a/b' }),
      /the split name must be letters, digits, _ or -/,
    );
  });
});
