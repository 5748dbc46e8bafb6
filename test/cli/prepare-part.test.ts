import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../../sources/datasets/encode-png.js';
import { Random } from '../../sources/random.js';
import { writeFakeFashionMnist } from '../datasets/idx-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli, type CliResult } from './cli-helper.js';

/** The files of a folder, name -> bytes. */
function files(dir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f))]),
  );
}

/** The shard paths a prepare run printed (`  PATH  N bytes`). */
const printed = (r: CliResult): string[] => [...r.stdout.matchAll(/^ {2}(\S+) {2}\d+ bytes$/gm)].map((m) => m[1] ?? '');

/** Runs the single preparation and its N parts (in parallel, as an array job would); checks union, disjointness, bytes. */
async function compare(
  args: (out: string) => string[],
  parts: number,
  partArgs: (i: number) => { args: string[]; env?: NodeJS.ProcessEnv },
): Promise<{ single: Map<string, Buffer> }> {
  const dir = tempDir();
  const one = join(dir, 'one');
  const many = join(dir, 'many');
  const single = await runCli(args(one));
  assert.equal(single.code, 0, single.stderr);
  const runs = await Promise.all(
    Array.from({ length: parts }, (_, i) => {
      const p = partArgs(i);
      return runCli([...args(many), ...p.args], { env: p.env });
    }),
  );
  const seen = new Set<string>();
  for (const [i, r] of runs.entries()) {
    assert.equal(r.code, 0, r.stderr);
    const shards = printed(r);
    assert.ok(shards.length > 0, `part ${i} wrote no shard: ${r.stdout}`);
    for (const s of shards) {
      assert.ok(!seen.has(s), `${s} written by two parts`);
      seen.add(s);
      // shard k belongs to part k % N
      assert.equal(Number(/-(\d{6})\.tar/.exec(s)?.[1]) % parts, i, s);
    }
    assert.doesNotMatch(r.stderr, /was not written now/); // other parts' shards are not stale
  }
  const a = files(one);
  const b = files(many);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} differs`);
  assert.equal(seen.size, a.size);
  return { single: a };
}

describe('prepare --part i/N: array jobs', () => {
  it('fashion-mnist idx files: 3 parts (gzipped) are byte for byte the single run', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 23, 8);
    const { single } = await compare(
      (out) => ['prepare', 'fashion-mnist', '--root', root, '--out', out, '--max-samples', '3', '--gzip'],
      3,
      (i) => ({ args: ['--part', `${i}/3`] }),
    );
    assert.equal(single.size, 8 + 3); // 23 train in 8 shards, 8 test in 3
  });

  it('a folder dataset cut by --max-bytes, shuffled; parts from --part auto (Slurm array, indexed Job)', async () => {
    const root = tempDir();
    const rng = Random.derive(7, 'prepare-part-test');
    for (const [cls, n] of [
      ['cat', 9],
      ['dog', 7],
      ['owl', 5],
    ] as const) {
      mkdirSync(join(root, cls), { recursive: true });
      for (let i = 0; i < n; i++) {
        // images of uneven sizes, so that --max-bytes cuts shards at uneven places
        const side = 2 + rng.int(0, 12);
        const pixels = new Uint8Array(side * side).map(() => rng.int(0, 255));
        writeFileSync(join(root, cls, `${i}.png`), encodePng(pixels, side, side, 1));
      }
    }
    const env = [
      { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_MAX: '7', SLURM_ARRAY_TASK_COUNT: '3' },
      { JOB_COMPLETION_INDEX: '1', JOB_COMPLETIONS: '3' },
      { RANK: '2', WORLD_SIZE: '3' },
    ];
    const { single } = await compare(
      (out) => ['prepare', 'folder', root, '--out', out, '--max-bytes', '600', '--shuffle-seed', '3'],
      3,
      (i) => ({ args: ['--part', 'auto'], env: env[i] }),
    );
    assert.ok(single.size >= 6, `only ${single.size} shards: the test needs several per part`);
  });

  it('a dataset adapter (video-folder): parts read only their own files and match the single run', async () => {
    const root = tempDir();
    const rng = Random.derive(8, 'prepare-part-videos');
    for (const [cls, n] of [
      ['run', 6],
      ['jump', 5],
    ] as const) {
      mkdirSync(join(root, cls), { recursive: true });
      for (let i = 0; i < n; i++)
        writeFileSync(
          join(root, cls, `v${i}.mp4`),
          Buffer.from(Array.from({ length: 100 + rng.int(0, 900) }, () => rng.int(0, 255))),
        );
    }
    await compare(
      (out) => ['prepare', 'video-folder', root, '--out', out, '--max-bytes', '1500', '--shuffle-seed', '1'],
      3,
      (i) => ({ args: ['--part', `${i}/3`] }),
    );
  });

  it('refuses a malformed part and logs where an automatic part came from', async () => {
    const root = tempDir();
    writeFakeFashionMnist(root, 3, 1);
    for (const bad of ['3/3', '1', 'a/b', '0/0']) {
      const r = await runCli(['prepare', 'fashion-mnist', '--root', root, '--out', join(root, 'o'), '--part', bad]);
      assert.notEqual(r.code, 0, bad);
      assert.match(r.stderr, /must be i\/N with 0 <= i < N/, bad);
    }
    const r = await runCli(
      ['prepare', 'fashion-mnist', '--root', root, '--out', join(root, 'o'), '--part', 'auto', '--max-samples', '1'],
      { env: { JOB_COMPLETION_INDEX: '1', JOB_COMPLETIONS: '2', RANK: '', WORLD_SIZE: '', SLURM_PROCID: '' } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^ndaflow: prepare part 1\/2 from indexed-job \(JOB_COMPLETION_INDEX, JOB_COMPLETIONS\)$/m);
    assert.deepEqual(
      printed(r).map((p) => p.replace(/.*\//, '')),
      ['train-000001.tar'],
    ); // test has one shard: part 0's
  });
});
