import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { DatasetAdapter, DatasetItem } from '../../sources/datasets/dataset-adapter.js';
import { parseCsvLine } from '../../sources/datasets/parse-csv-line.js';
import { writeDataset } from '../../sources/datasets/write-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';
import { splitSamples } from '../helpers/video-trees.js';

function adapter(
  root: string,
  items: DatasetItem[],
  onMissing?: 'error' | 'skip',
  classes = ['a', 'b'],
): DatasetAdapter {
  return { name: 'toy', root, onMissing, list: async () => ({ classes, splits: [{ name: 'train', items }] }) };
}

describe('writeDataset', () => {
  it('bytes items and file items (relative and absolute), meta after the standard json fields, unlabelled items without cls', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'x.MP4'), 'video x');
    const abs = join(tempDir(), 'y.png');
    writeFileSync(abs, 'png y');
    const items: DatasetItem[] = [
      { key: 'gen-1', bytes: new Uint8Array([1, 2, 3]), ext: 'npy', label: 1, meta: { made: true } },
      { key: 'x', path: 'x.MP4' },
      { path: abs, label: 0, meta: { label: 'overridden by meta' } },
    ];
    const r = await writeDataset(adapter(root, items), { out: tempDir(), readAhead: 1 });
    const s = await splitSamples(r, 'train');
    assert.deepEqual(
      s.map((x) => x.key),
      ['gen-1', 'x', '000002'],
    );
    assert.deepEqual([...s[0]!.fields.get('npy')!], [1, 2, 3]);
    assert.deepEqual(JSON.parse(s[0]!.fields.get('json')!.toString()), {
      label: 1,
      class: 'b',
      split: 'train',
      path: null,
      made: true,
    });
    assert.deepEqual([...s[1]!.fields.keys()], ['mp4', 'json']);
    assert.equal(s[1]!.fields.get('mp4')!.toString(), 'video x');
    assert.deepEqual(JSON.parse(s[1]!.fields.get('json')!.toString()), {
      label: null,
      class: null,
      split: 'train',
      path: 'x.MP4',
    });
    assert.equal(JSON.parse(s[2]!.fields.get('json')!.toString()).path.endsWith('y.png'), true);
  });

  it('missing files: an error naming the listing line (default), or counted with onMissing skip', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'here.avi'), 'here');
    const items: DatasetItem[] = [
      { path: 'gone.avi', origin: 'list.txt line 1' },
      { path: 'here.avi' },
      { path: 'sub/gone2.avi' },
    ];
    const out = join(tempDir(), 'o');
    await assert.rejects(
      writeDataset(adapter(root, items), { out }),
      new RegExp(
        `^DatasetError: Cannot read list\\.txt line 1 as the video or file it lists must exist: current value is "${join(root, 'gone.avi')}"$`,
      ),
    );
    assert.equal(existsSync(out), false, 'nothing written before the check');
    const r = await writeDataset(adapter(root, items, 'skip'), { out });
    assert.deepEqual(r.missing, [
      { split: 'train', path: 'gone.avi', origin: 'list.txt line 1' },
      { split: 'train', path: 'sub/gone2.avi', origin: 'sub/gone2.avi' },
    ]);
    assert.deepEqual(
      r.splits.map((s) => s.samples),
      [1],
    );
  });

  it('rejects bad listings before writing: labels, keys, items, split names, options', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'v.avi'), 'v');
    const bad: [DatasetItem[], RegExp][] = [
      [[{ path: 'v.avi', label: 2 }], /label must be a class index in \[0, 1\]: current value is 2/],
      [[{ path: 'v.avi', key: 'a.b' }], /a key must be non-empty and hold no dot: current value is "a\.b"/],
      [
        [
          { path: 'v.avi', key: 'k', origin: 'l1' },
          { path: 'v.avi', key: 'k', origin: 'l2' },
        ],
        /\(l2\) as keys must be unique in split train \(also at l1\)/,
      ],
      [[{ bytes: new Uint8Array(1) }], /an item needs a field name/],
      [[{ bytes: new Uint8Array(1), path: 'v.avi', ext: 'x' }], /an item must have a path or bytes, not both/],
    ];
    for (const [items, message] of bad)
      await assert.rejects(writeDataset(adapter(root, items), { out: tempDir() }), message);
    const badSplit: DatasetAdapter = {
      name: 'toy',
      root,
      list: async () => ({ classes: [], splits: [{ name: 'a b', items: [] }] }),
    };
    await assert.rejects(
      writeDataset(badSplit, { out: tempDir() }),
      /a split name must be letters, digits, _ or -: current value is "a b"/,
    );
    await assert.rejects(
      writeDataset(adapter(root, []), { out: tempDir(), seed: -1 }),
      /Cannot write dataset toy as seed must be in \[0, 4294967295\]: current value is -1/,
    );
  });

  it('the same listing and seed give byte-identical shards', async () => {
    const root = tempDir();
    const items: DatasetItem[] = Array.from({ length: 20 }, (_, i) => ({
      key: `k${i}`,
      bytes: new Uint8Array([i]),
      ext: 'bin',
      label: i % 2,
    }));
    const shard = async () => {
      const r = await writeDataset(adapter(root, items), { out: tempDir(), seed: 9, maxSamples: 7 });
      return r.splits[0]!.shards.map((s) => s.bytes);
    };
    const a = await shard();
    assert.equal(a.length, 3);
    assert.deepEqual(await shard(), a);
  });
});

describe('parseCsvLine', () => {
  it('quoted fields with commas and doubled quotes, CRLF, empty fields', () => {
    assert.deepEqual(parseCsvLine('"passing American football (in game)",-aB3,14,24,train\r'), [
      'passing American football (in game)',
      '-aB3',
      '14',
      '24',
      'train',
    ]);
    assert.deepEqual(parseCsvLine('a,"say ""hi""",,'), ['a', 'say "hi"', '', '']);
    assert.throws(() => parseCsvLine('"open,1'), /a quoted field must be closed/);
    assert.throws(() => parseCsvLine('"a"b,1'), /a closing quote must end its field/);
  });

  it('round-trips any fields written the RFC 4180 way', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', ',', '"', ' ', 'z', '\r') }), { minLength: 1, maxLength: 6 }),
        (fields) => {
          const line = fields.map((f) => `"${f.replace(/"/g, '""')}"`).join(',');
          assert.deepEqual(parseCsvLine(line), fields);
        },
      ),
    );
  });
});
