import assert from 'node:assert/strict';
import { readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ShardWriter } from '../../sources/shard-writer.js';
import { writeTarWithPython } from '../helpers/python-tar.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './cli-helper.js';

interface Line {
  __key__: string;
  __url__: string;
  fields: Record<string, number>;
}

/** Sample i of shard s: fields `a.txt` (10 + i bytes) and `bin` (700 + 3s bytes). */
const sample = (s: number, i: number) => ({
  __key__: `s${s}-${String(i).padStart(3, '0')}`,
  txt: Buffer.alloc(10 + i, 97),
  bin: Buffer.alloc(700 + 3 * s, 1),
});

/** Writes `count` shards of `per` samples each: dir/s-00000N.tar. */
async function writeShards(dir: string, count: number, per: number): Promise<string[]> {
  const paths: string[] = [];
  for (let s = 0; s < count; s++) {
    const w = new ShardWriter(join(dir, `s-%06d.tar`), { startIndex: s });
    for (let i = 0; i < per; i++) await w.write(sample(s, i));
    paths.push(...(await w.close()));
  }
  return paths;
}

/** Parses stdout as JSON lines, checking that every line is one JSON object of the documented shape. */
function lines(stdout: string): Line[] {
  assert.ok(stdout.endsWith('\n') || stdout === '', 'stdout ends with a newline');
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const v = JSON.parse(l) as Line;
      assert.deepEqual(Object.keys(v), ['__key__', '__url__', 'fields']);
      return v;
    });
}

describe('ndaflow inspect', () => {
  it('--json: exactly one JSON line per sample with the byte length of every field, braces and :: specs', async () => {
    const dir = tempDir();
    const [s0, s1, s2] = await writeShards(dir, 3, 4);
    const r = await runCli(['inspect', '--json', `${dir}/s-{000000..000001}.tar::${s2}`]);
    assert.equal(r.code, 0, r.stderr);
    const got = lines(r.stdout);
    assert.equal(got.length, 12);
    for (const [n, line] of got.entries()) {
      const s = Math.floor(n / 4);
      const i = n % 4;
      assert.deepEqual(line, {
        __key__: sample(s, i).__key__,
        __url__: [s0, s1, s2][s],
        fields: { txt: 10 + i, bin: 700 + 3 * s },
      });
    }
    assert.match(
      r.stderr,
      /ndaflow: accounting \{"seen":12,"yielded":12,"skipped":\{\},"shardErrors":\{\}.*"lost":0\}/,
    );
  });

  it('summary: samples, shards, fields with count and min/mean/max bytes', async () => {
    const dir = tempDir();
    await writeShards(dir, 2, 3);
    const r = await runCli(['inspect', `${dir}/s-{000000..000001}.tar`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^samples: 6 in 2 shard\(s\)$/m);
    assert.match(r.stdout, /s-000000\.tar\s+3 samples/);
    assert.match(r.stdout, /^\s+bin\s+6\s+700\s+701\.5\s+703$/m);
    assert.match(r.stdout, /^\s+txt\s+6\s+10\s+11\.0\s+12$/m);
  });

  it('a truncated shard: reraise fails (exit 1, error on stderr) after the good samples; warnAndContinue lists every good sample and exits 0', async () => {
    const dir = tempDir();
    const [bad, good] = await writeShards(dir, 2, 5);
    // each sample is 2 entries: txt (512 + 512) and bin (512 + 1024) = 2560 bytes; cut inside sample 2's bin header
    truncateSync(bad as string, 2 * 2560 + 1024 + 300);
    const spec = `${dir}/s-{000000..000001}.tar`;
    const failed = await runCli(['inspect', '--json', spec]);
    assert.equal(failed.code, 1);
    assert.deepEqual(
      lines(failed.stdout).map((l) => l.__key__),
      ['s0-000', 's0-001'],
    );
    assert.match(failed.stderr, /ndaflow: error: Cannot read shard as it ends in the middle of .*s-000000\.tar/);

    const r = await runCli(['inspect', '--json', '--handler', 'warnAndContinue', spec]);
    assert.equal(r.code, 0, r.stderr);
    const got = lines(r.stdout);
    assert.deepEqual(
      got.map((l) => l.__key__),
      ['s0-000', 's0-001', 's1-000', 's1-001', 's1-002', 's1-003', 's1-004'],
    );
    assert.deepEqual(got[2], { __key__: 's1-000', __url__: good, fields: { txt: 10, bin: 703 } });
    assert.match(r.stderr, /ndaflow: warning \[truncated-shard\]: .*s-000000\.tar/);
    const accounting = JSON.parse(/ndaflow: accounting (.*)/.exec(r.stderr)?.[1] ?? 'null');
    assert.equal(accounting.yielded, 7);
    assert.deepEqual(accounting.skipped, { 'truncated-shard': 1 });
    assert.deepEqual(accounting.shardErrors, { 'truncated-shard': 1 });
    assert.equal(accounting.lost, 0);

    const quiet = await runCli(['inspect', '--json', '--handler', 'ignoreAndContinue', spec]);
    assert.equal(quiet.code, 0);
    assert.doesNotMatch(quiet.stderr, /warning/);
    assert.equal(lines(quiet.stdout).length, 7);
    const stopped = await runCli(['inspect', '--json', '--handler', 'warnAndStop', spec]);
    assert.equal(stopped.code, 0);
    assert.deepEqual(
      lines(stopped.stdout).map((l) => l.__key__),
      ['s0-000', 's0-001'],
    );
  });

  it('a sample with a repeated field (written by Python tarfile) is skipped under warnAndContinue, the others listed', async () => {
    const dir = tempDir();
    const path = join(dir, 'dup.tar');
    const e = (name: string, n: number) => ({ name, data: Buffer.alloc(n, 1) });
    writeTarWithPython(
      path,
      [e('a.png', 5), e('a.cls', 1), e('b.png', 6), e('b.png', 7), e('c.png', 8), e('c.json', 2)],
      'pax',
    );
    const r = await runCli(['inspect', '--json', '--handler', 'warnAndContinue', path]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [
      { __key__: 'a', __url__: path, fields: { png: 5, cls: 1 } },
      { __key__: 'c', __url__: path, fields: { png: 8, json: 2 } },
    ]);
    assert.match(r.stderr, /warning \[duplicate-field\]: Cannot read sample as field "png" appears twice/);
    const failed = await runCli(['inspect', '--json', path]);
    assert.equal(failed.code, 1);
    assert.equal(lines(failed.stdout).length, 1);
  });

  it('pipe: specs need --allow-pipe; --limit stops early; a missing shard is an error', async () => {
    const dir = tempDir();
    const [s0] = await writeShards(dir, 1, 3);
    const refused = await runCli(['inspect', '--json', `pipe:cat ${s0}`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /--allow-pipe/);
    assert.equal(refused.stdout, '');
    const piped = await runCli(['inspect', '--json', '--allow-pipe', `pipe:cat ${s0}`]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(lines(piped.stdout).length, 3);
    const limited = await runCli(['inspect', '--json', '--limit', '2', s0 as string]);
    assert.equal(lines(limited.stdout).length, 2);
    const missing = await runCli(['inspect', join(dir, 'nope.tar')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /does not exist/);
    const badHandler = await runCli(['inspect', '--handler', 'bogus', s0 as string]);
    assert.notEqual(badHandler.code, 0);
    assert.match(badHandler.stderr, /Allowed choices are reraise, warnAndContinue/);
  });

  it('reads gzipped shards (the embedded data) and keeps stdout clean for piping', async () => {
    const r = await runCli(['inspect', '--json', '--limit', '3', 'data/fmnist/test-000000.tar.gz']);
    assert.equal(r.code, 0, r.stderr);
    const got = lines(r.stdout);
    assert.deepEqual(
      got.map((l) => l.__key__),
      ['test/000000', 'test/000001', 'test/000002'],
    );
    assert.deepEqual(Object.keys(got[0]!.fields), ['png', 'cls', 'json']);
    assert.equal(got[0]!.fields.cls, 1);
    assert.ok(readFileSync('data/fmnist/test-000000.tar.gz').length > 0);
  });
});
