import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatasetError } from '../../sources/datasets/dataset-error.js';
import { convertKinetics, kineticsAdapter, kineticsClipName } from '../../sources/datasets/kinetics.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  makeKineticsTree,
  OPENCV_VIDEOS,
  SKIP_WITHOUT_OPENCV,
  splitSamples,
  type KineticsTree,
} from '../helpers/video-trees.js';

const CLASSES = ['abseiling', 'passing American football (in game)', 'zumba'];

async function assertWritten(tree: KineticsTree, isCc: boolean, out: string): Promise<void> {
  const result = await convertKinetics({ csv: tree.csv, videos: tree.videos, out });
  assert.deepEqual(result.classes, CLASSES);
  assert.deepEqual(
    result.splits.map((s) => [s.split, s.samples]),
    [
      ['train', 3],
      ['val', 2],
    ],
  );
  assert.deepEqual(result.missing, [
    { split: 'train', path: 'gOnE_taken0_000000_000010.mp4', origin: `${tree.csv} line 4` },
  ]);
  for (const split of ['train', 'val']) {
    const rows = tree.rows.map((r, i) => ({ ...r, i })).filter((r) => r.split === split && r.file !== undefined);
    const samples = await splitSamples(result, split);
    assert.deepEqual(
      samples.map((s) => s.key),
      rows.map((r) => kineticsClipName(r.id, r.start, r.end)),
    );
    for (const [j, s] of samples.entries()) {
      const r = rows[j]!;
      assert.deepEqual([...s.fields.keys()], ['mp4', 'cls', 'json']);
      assert.ok(s.fields.get('mp4')!.equals(tree.files[r.file!]!), `${r.file} byte for byte`);
      assert.equal(s.fields.get('cls')!.toString(), String(CLASSES.indexOf(r.label)));
      const json = JSON.parse(s.fields.get('json')!.toString());
      assert.deepEqual(json, {
        label: CLASSES.indexOf(r.label),
        class: r.label,
        split,
        path: r.file,
        youtube_id: r.id,
        time_start: r.start,
        time_end: r.end,
        ...(isCc ? { is_cc: String(r.i % 2) } : {}),
      });
    }
  }
}

describe('kinetics', () => {
  it('official CSV: quoted label with a comma, classes sorted, videos in per-label / per-split / flat folders, a missing video counted', async () => {
    const tree = makeKineticsTree(tempDir());
    await assertWritten(tree, false, tempDir());
  });

  it('a CSV with is_cc keeps the column in the json', async () => {
    const tree = makeKineticsTree(tempDir(), { isCc: true });
    await assertWritten(tree, true, tempDir());
  });

  it('several CSVs share one class list; a CSV without split column takes its file name; test rows without label have no cls', async () => {
    const dir = tempDir();
    const tree = makeKineticsTree(dir);
    const test = join(dir, 'test.csv');
    writeFileSync(test, 'youtube_id,time_start,time_end\r\n0347ZoDXyP0,5,15\r\n');
    const result = await convertKinetics({
      csv: [test, tree.csv],
      videos: tree.videos,
      out: tempDir(),
      splits: ['test'],
    });
    assert.deepEqual(result.classes, CLASSES);
    const [s] = await splitSamples(result, 'test');
    assert.deepEqual([...s!.fields.keys()], ['mp4', 'json']);
    assert.deepEqual(JSON.parse(s!.fields.get('json')!.toString()), {
      label: null,
      class: null,
      split: 'test',
      path: 'train/abseiling/0347ZoDXyP0_000005_000015.mp4',
      youtube_id: '0347ZoDXyP0',
      time_start: 5,
      time_end: 15,
    });
  });

  it('malformed rows fail naming the CSV and line', async () => {
    const dir = tempDir();
    const cases: [string, RegExp][] = [
      [
        'label,youtube_id,time_start,time_end,split\nabseiling,abc,x1,10,train\n',
        /line 2 as time_start must be a whole number of seconds >= 0: current value is "x1"/,
      ],
      [
        'label,youtube_id,time_start,time_end,split\nabseiling,abc,0,10,train\nabseiling,abc,10,10,train\n',
        /line 3 as time_end must be after time_start \(10\): current value is 10/,
      ],
      ['label,youtube_id,time_start,time_end,split\n"abseiling,abc,0,10,train\n', /line 2 as it must be a CSV line/],
      [
        'label,youtube_id,time_start,time_end,split\nabseiling,abc,0,10\n',
        /line 2 as a row must have 5 fields like the header/,
      ],
      ['label,youtube,time_start,time_end,split\n', /line 1 as the header must name the column youtube_id/],
      [
        'label,youtube_id,time_start,time_end,split\nabseiling,a.b,0,10,train\n',
        /line 2 as youtube_id must be letters, digits, _ or -: current value is "a\.b"/,
      ],
    ];
    for (const [i, [content, message]] of cases.entries()) {
      const csv = join(dir, `bad${i}.csv`);
      writeFileSync(csv, content);
      await assert.rejects(
        kineticsAdapter({ csv, videos: dir }).list(),
        (e: unknown) => e instanceof DatasetError && e.file === csv && message.test(e.message),
        content,
      );
    }
  });

  it(
    'real opencv-doc videos named as Kinetics clips are copied byte for byte',
    { skip: SKIP_WITHOUT_OPENCV },
    async () => {
      const tree = makeKineticsTree(tempDir(), { sources: OPENCV_VIDEOS });
      await assertWritten(tree, false, tempDir());
    },
  );
});
