import assert from 'node:assert/strict';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatasetError } from '../../sources/datasets/dataset-error.js';
import { convertUcf101, ucf101Adapter } from '../../sources/datasets/ucf101.js';
import type { DatasetResult } from '../../sources/datasets/write-dataset.js';
import { tempDir } from '../helpers/temp-dir.js';
import {
  makeUcf101Tree,
  OPENCV_VIDEOS,
  SKIP_WITHOUT_OPENCV,
  splitSamples,
  type Ucf101Tree,
} from '../helpers/video-trees.js';

async function assertFold(tree: Ucf101Tree, result: DatasetResult, fold: number): Promise<void> {
  assert.deepEqual(result.classes, tree.classes);
  assert.deepEqual(result.missing, []);
  for (const split of ['train', 'test'] as const) {
    const samples = await splitSamples(result, split);
    const expected = tree.folds[fold]![split];
    assert.ok(expected.length > 0);
    assert.deepEqual(
      samples.map((s) => s.key),
      expected.map((p) => p.split('/')[1]!.replace('.avi', '')),
    );
    for (const [i, s] of samples.entries()) {
      const path = expected[i]!;
      const label = tree.classes.indexOf(path.split('/')[0]!);
      assert.deepEqual([...s.fields.keys()], ['avi', 'cls', 'json']);
      assert.ok(s.fields.get('avi')!.equals(tree.videos[path]!), `${path} copied byte for byte`);
      assert.equal(s.fields.get('cls')!.toString(), String(label));
      const group = Number(/_g(\d+)_/.exec(path)![1]);
      assert.deepEqual(JSON.parse(s.fields.get('json')!.toString()), {
        label,
        class: tree.classes[label],
        split,
        path,
        fold,
        group,
        clip: 1,
      });
    }
  }
}

describe('ucf101', () => {
  const tree = makeUcf101Tree(tempDir());

  it('writes each official fold: list order, clip-name keys, avi bytes as they are, cls from classInd, json with fold/group/clip', async () => {
    for (const fold of [1, 2, 3]) {
      const result = await convertUcf101({
        root: tree.root,
        split: fold,
        out: join(tempDir(), `f${fold}`),
        maxSamples: 4,
      });
      await assertFold(tree, result, fold);
      assert.equal(result.splits[0]!.shards.length, 2, '6 train videos at 4 per shard');
    }
  });

  it('finds the annotations in <root>, in ../ucfTrainTestlist, or where --annotations says', async () => {
    for (const where of ['root', 'sibling'] as const) {
      const t = makeUcf101Tree(tempDir(), { annotations: where, groups: [1, 8] });
      await assertFold(t, await convertUcf101({ root: t.root, out: join(tempDir(), where) }), 1);
    }
    const t = makeUcf101Tree(tempDir(), { groups: [1, 8] });
    const moved = join(tempDir(), 'lists');
    renameSync(t.annotations, moved);
    await assert.rejects(
      convertUcf101({ root: t.root, out: tempDir() }),
      /Cannot read UCF101 as classInd\.txt must be in .*ucfTrainTestlist or .*UCF-101 or .*ucfTrainTestlist \(give the folder with --annotations\)/,
    );
    await assertFold(
      { ...t, annotations: moved },
      await convertUcf101({ root: t.root, out: tempDir(), annotations: moved }),
      1,
    );
    await assert.rejects(
      convertUcf101({ root: join(tempDir(), 'nowhere'), out: tempDir() }),
      /Cannot read UCF101 as classInd\.txt must be in/,
    );
  });

  it('a trainlist line naming a missing video fails before anything is written, naming the file and line', async () => {
    const t = makeUcf101Tree(tempDir(), { groups: [1, 8, 15] });
    const gone = t.folds[1]!.train[3]!;
    rmSync(join(t.root, ...gone.split('/')));
    const out = join(tempDir(), 'out');
    const err = await convertUcf101({ root: t.root, out }).then(
      () => assert.fail('no error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DatasetError);
    assert.equal(
      err.message,
      `Cannot read ${join(t.annotations, 'trainlist01.txt')} line 4 as the video or file it lists must exist: current value is ${JSON.stringify(join(t.root, ...gone.split('/')))}`,
    );
    assert.equal(existsSync(out), false, 'nothing written');
  });

  it('malformed annotation files: errors name the file and line', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'classInd.txt',
        '1 ApplyEyeMakeup\r\n3 Basketball\r\n',
        /classInd\.txt line 2 as the class indices must be 1, 2, 3, \.\.\. in order \(expected 2\): current value is 3/,
      ],
      [
        'classInd.txt',
        '1 ApplyEyeMakeup\r\nBasketball\r\n',
        /classInd\.txt line 2 as a line must be "<index> <ClassName>"/,
      ],
      [
        'trainlist01.txt',
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\n\r\nBasketball/v_Basketball_g08_c01.avi 1\r\n',
        /trainlist01\.txt line 3 as its label must be 2, the index of Basketball in .*classInd\.txt: current value is 1/,
      ],
      [
        'trainlist01.txt',
        'Juggling/v_Juggling_g08_c01.avi 1\r\n',
        /trainlist01\.txt line 1 as the video's folder must be a class of .*classInd\.txt: current value is "Juggling\/v_Juggling_g08_c01\.avi"/,
      ],
      [
        'trainlist01.txt',
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi\r\n',
        /trainlist01\.txt line 1 as a line must be "<Class>\/<video>\.avi <label>"/,
      ],
      [
        'testlist01.txt',
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi 2\r\n',
        /testlist01\.txt line 1 as its label must be 1/,
      ],
    ];
    for (const [file, content, message] of cases) {
      const t = makeUcf101Tree(tempDir(), { groups: [1, 8] });
      writeFileSync(join(t.annotations, file), content);
      await assert.rejects(
        ucf101Adapter({ root: t.root }).list(),
        (e: unknown) => e instanceof DatasetError && message.test(e.message) && e.file === join(t.annotations, file),
        `${file}: ${content}`,
      );
    }
    assert.throws(
      () => ucf101Adapter({ root: tree.root, split: 4 }),
      /Cannot read UCF101 as split must be in \[1, 3\]: current value is 4/,
    );
  });

  it('seed shuffles each split deterministically; limits and split selection', async () => {
    const keys = async (seed: number | undefined) =>
      (await splitSamples(await convertUcf101({ root: tree.root, out: tempDir(), seed }), 'train')).map((s) => s.key);
    const plain = await keys(undefined);
    const a = await keys(3);
    assert.deepEqual(await keys(3), a);
    assert.deepEqual([...a].sort(), [...plain].sort());
    const others = await Promise.all([1, 2, 4, 5].map(keys));
    assert.ok(
      [a, ...others].some((o) => o.join() !== plain.join()),
      'some seed changes the order',
    );
    const r = await convertUcf101({ root: tree.root, out: tempDir(), splits: ['test'], limit: 2 });
    assert.deepEqual(
      r.splits.map((s) => [s.split, s.samples]),
      [['test', 2]],
    );
    await assert.rejects(
      convertUcf101({ root: tree.root, out: tempDir(), splits: ['val'] }),
      /the splits must be among train, test: current value is "val"/,
    );
  });

  it(
    'real opencv-doc videos in the UCF101 layout are copied byte for byte',
    { skip: SKIP_WITHOUT_OPENCV },
    async () => {
      const t = makeUcf101Tree(tempDir(), { groups: [1, 8], sources: OPENCV_VIDEOS });
      await assertFold(t, await convertUcf101({ root: t.root, out: tempDir(), gzip: true }), 1);
    },
  );
});
