import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeFakeFashionMnist } from '../datasets/idx-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeTestVideo } from '../helpers/make-test-video.js';
import { makeKineticsTree, makeUcf101Tree, makeVideoFolderTree } from '../helpers/video-trees.js';
import { readShard, ROOT, runCli } from './cli-helper.js';

describe('ndaflow prepare (videos)', () => {
  it("ucf101 --root --split 2 --annotations: the fold's train and test shards, the classes printed", async () => {
    const dir = tempDir();
    const tree = makeUcf101Tree(dir);
    const lists = join(dir, 'elsewhere');
    renameSync(tree.annotations, lists);
    const out = join(dir, 'out');
    const r = await runCli([
      '--no-progress',
      'prepare',
      'ucf101',
      '--root',
      tree.root,
      '--split',
      '2',
      '--annotations',
      lists,
      '--out',
      out,
      '--max-samples',
      '4',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^classes: 3: 0=ApplyEyeMakeup 1=Basketball 2=HandstandPushups$/m);
    assert.match(r.stdout, /^train: 6 samples in 2 shard\(s\)$/m);
    assert.match(r.stdout, /^test: 3 samples in 1 shard\(s\)$/m);
    const test = await readShard(join(out, 'test-000000.tar'));
    assert.deepEqual(
      test.map((s) => s.key),
      tree.folds[2]!.test.map((p) => p.split('/')[1]!.replace('.avi', '')),
    );
    assert.ok(test[2]!.fields.get('avi')!.equals(tree.videos[tree.folds[2]!.test[2]!]!));
    assert.deepEqual(JSON.parse(test[2]!.fields.get('json')!.toString()), {
      label: 2,
      class: 'HandstandPushups',
      split: 'test',
      path: 'HandstandPushups/v_HandStandPushups_g08_c01.avi',
      fold: 2,
      group: 8,
      clip: 1,
    });
  });

  it('ucf101: a testlist line naming a missing video exits 1 naming the list file and line', async () => {
    const dir = tempDir();
    const tree = makeUcf101Tree(dir, { groups: [1, 8] });
    const gone = tree.folds[1]!.test[1]!;
    rmSync(join(tree.root, ...gone.split('/')));
    const r = await runCli(['--no-progress', 'prepare', 'ucf101', '--root', tree.root, '--out', join(dir, 'out')]);
    assert.equal(r.code, 1);
    assert.ok(
      r.stderr.includes(
        `ndaflow: error: Cannot read ${join(tree.annotations, 'testlist01.txt')} line 2 as the video or file it lists must exist`,
      ),
      r.stderr,
    );
    assert.equal(r.stdout, '');
  });

  it('kinetics --csv --videos: missing videos counted, listed in missing.txt, warned, exit 0', async () => {
    const dir = tempDir();
    const tree = makeKineticsTree(dir, { isCc: true });
    const out = join(dir, 'out');
    const r = await runCli([
      '--no-progress',
      'prepare',
      'kinetics',
      '--csv',
      tree.csv,
      '--videos',
      tree.videos,
      '--out',
      out,
      '--splits',
      'train',
      '--shuffle-seed',
      '5',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^classes: 3: 0=abseiling 1=passing American football \(in game\) 2=zumba$/m);
    assert.match(r.stdout, /^train: 3 samples in 1 shard\(s\)$/m);
    assert.doesNotMatch(r.stdout, /^val:/m);
    assert.match(
      r.stdout,
      new RegExp(
        `^missing: 1 listed video\\(s\\) not found \\(train 1\\), listed in ${join(out, 'missing.txt')}$`,
        'm',
      ),
    );
    assert.match(
      r.stderr,
      /ndaflow: warning: 1 listed video\(s\) not found, e\.g\. gOnE_taken0_000000_000010\.mp4 \(.*kinetics\.csv line 4\)/,
    );
    assert.equal(
      readFileSync(join(out, 'missing.txt'), 'utf8'),
      `train\tgOnE_taken0_000000_000010.mp4\t${tree.csv} line 4\n`,
    );
    const keys = (await readShard(join(out, 'train-000000.tar'))).map((s) => s.key).sort();
    assert.deepEqual(keys, ['-aB3_x9Zq0w_000014_000024', '0347ZoDXyP0_000005_000015', 'Zz9-yy8_xx7_000120_000130']);
  });

  it('kinetics: a row with a bad time exits 1 naming the CSV and line', async () => {
    const dir = tempDir();
    const tree = makeKineticsTree(dir);
    const csv = readFileSync(tree.csv, 'utf8').replace(',5,15,', ',5s,15,');
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, csv);
    const r = await runCli([
      '--no-progress',
      'prepare',
      'kinetics',
      '--csv',
      bad,
      '--videos',
      tree.videos,
      '--out',
      join(dir, 'out'),
    ]);
    assert.equal(r.code, 1);
    assert.ok(
      r.stderr.includes(
        `ndaflow: error: Cannot read ${bad} line 3 as time_start must be a whole number of seconds >= 0: current value is "5s"`,
      ),
      r.stderr,
    );
  });

  it('video-folder DIR with train/ and test/ folders', async () => {
    const dir = tempDir();
    const files = makeVideoFolderTree(join(dir, 'tree'), { splits: true });
    const out = join(dir, 'out');
    const r = await runCli(['--no-progress', 'prepare', 'video-folder', join(dir, 'tree'), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^classes: 2: 0=cat 1=dog$/m);
    assert.match(r.stdout, /^train: 3 samples in 1 shard\(s\)$/m);
    assert.match(r.stdout, /^test: 1 samples in 1 shard\(s\)$/m);
    assert.match(r.stderr, /ignored 1 file\(s\) with other extensions, e\.g\. train\/dog\/notes\.txt/);
    const train = await readShard(join(out, 'train-000000.tar'));
    assert.deepEqual(
      train.map((s) => [...s.fields.keys()][0]),
      ['mp4', 'avi', 'webm'],
    );
    assert.ok(train[1]!.fields.get('avi')!.equals(files['train/cat/sub/b.avi']!));
  });

  it('moving-fmnist --train --test --frames --items --seed --root: mp4 clips from the idx files', async () => {
    const dir = tempDir();
    writeFakeFashionMnist(dir, 6, 4);
    const out = join(dir, 'out');
    const r = await runCli([
      '--no-progress',
      'prepare',
      'moving-fmnist',
      '--root',
      dir,
      '--train',
      '3',
      '--test',
      '2',
      '--frames',
      '16',
      '--items',
      '2',
      '--seed',
      '4',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^train: 3 samples in 1 shard\(s\)$/m);
    assert.match(r.stdout, /^test: 2 samples in 1 shard\(s\)$/m);
    const test = await readShard(join(out, 'test-000000.tar'));
    assert.equal(test.length, 2);
    assert.ok(
      test.every((s) => s.fields.has('mp4') && s.fields.get('mp4')!.subarray(4, 8).toString() === 'ftyp'),
      'mp4 bytes',
    );
    const bad = await runCli([
      '--no-progress',
      'prepare',
      'moving-fmnist',
      '--root',
      dir,
      '--items',
      '3',
      '--out',
      out,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--items/);
  });

  it('adapter MODULE ROOT: the README example adapter (examples/gesture-clips.ts) writes its splits, a missing clip counted', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'clips'));
    makeTestVideo(join(dir, 'clips', 'wave-01.webm'), { frames: 4, width: 32, height: 24 });
    makeTestVideo(join(dir, 'clips', 'point-07.mp4'), { frames: 5, width: 32, height: 24 });
    writeFileSync(
      join(dir, 'labels.tsv'),
      'clip\tgesture\tsplit\tsigner\nwave-01.webm\twave\ttrain\tana\npoint-07.mp4\tpoint\ttest\tbo\nwave-02.webm\twave\ttrain\tbo\n',
    );
    const out = join(dir, 'out');
    const r = await runCli([
      '--no-progress',
      'prepare',
      'adapter',
      join(ROOT, 'dist-test', 'examples', 'gesture-clips.js'),
      dir,
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^classes: 2: 0=point 1=wave$/m);
    assert.match(r.stdout, /^train: 1 samples in 1 shard\(s\)$/m);
    assert.match(r.stdout, /^test: 1 samples in 1 shard\(s\)$/m);
    assert.match(r.stdout, /^missing: 1 listed video\(s\) not found \(train 1\)/m);
    const [train] = await readShard(join(out, 'train-000000.tar'));
    assert.equal(train!.key, 'wave-01');
    assert.ok(train!.fields.get('webm')!.equals(readFileSync(join(dir, 'clips', 'wave-01.webm'))));
    assert.deepEqual(JSON.parse(train!.fields.get('json')!.toString()), {
      label: 1,
      class: 'wave',
      split: 'train',
      path: 'clips/wave-01.webm',
      signer: 'ana',
    });
    writeFileSync(join(dir, 'labels.tsv'), 'clip\tgesture\tsplit\tsigner\nwave-01.webm\twave\n');
    const bad = await runCli([
      '--no-progress',
      'prepare',
      'adapter',
      join(ROOT, 'dist-test', 'examples', 'gesture-clips.js'),
      dir,
      '--out',
      out,
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ndaflow: error: Cannot read .*labels\.tsv line 2 as a row must be/);
    const none = await runCli([
      '--no-progress',
      'prepare',
      'adapter',
      join(ROOT, 'dist-test', 'cli', 'options.js'),
      dir,
      '--out',
      out,
    ]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /Cannot load a dataset adapter as the module must export a default function/);
  });
});
