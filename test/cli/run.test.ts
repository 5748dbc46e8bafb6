import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodePng } from '../../sources/datasets/encode-png.js';
import { ShardWriter } from '../../sources/shard-writer.js';
import { tempDir } from '../helpers/temp-dir.js';
import { readShard, ROOT, runCli } from './cli-helper.js';

/** The number of samples in the embedded train shards, counted by reading them here. */
async function embeddedTrainCount(): Promise<number> {
  const dir = join(ROOT, 'data', 'fmnist');
  const shards = readdirSync(dir)
    .filter((f) => f.startsWith('train-'))
    .map((f) => join(dir, f));
  return (await Promise.all(shards.map(readShard))).reduce((n, s) => n + s.length, 0);
}

describe('ndaflow run / list', () => {
  it('run default --json: the embedded train shards, every sample yielded, nothing lost, whatever the cwd', async () => {
    const expected = await embeddedTrainCount();
    assert.ok(expected > 0);
    const r = await runCli(['run', 'default', '--json', '--seed', '7'], { cwd: tempDir() });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.pipeline, 'fmnist-stream');
    assert.equal(report.seed, 7);
    assert.equal(report.accounting.lost, 0);
    assert.equal(report.accounting.seen, expected);
    assert.equal(report.accounting.yielded, expected);
    assert.deepEqual(report.accounting.skipped, {});
    assert.equal(report.samples, expected);
    assert.equal(report.batches, Math.ceil(expected / 64));
    assert.ok(report.samplesPerSecond > 0 && report.batchesPerSecond > 0);
  });

  it('run (no name) prints the accounting and the throughput; an unseeded run logs its seed', async () => {
    const r = await runCli(['run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^pipeline: fmnist-stream \(seed \d+\)$/m);
    const accounting = JSON.parse(/^accounting: (.*)$/m.exec(r.stdout)?.[1] ?? 'null');
    assert.equal(accounting.lost, 0);
    assert.equal(accounting.yielded, await embeddedTrainCount());
    assert.match(r.stdout, /^throughput: \d+ samples, \d+ batches in [\d.]+ s: [\d.]+ samples\/s, [\d.]+ batches\/s$/m);
    // the CLI logs the fresh seed on stdout; the library itself prints nothing
    const seed = /^pipeline: fmnist-stream \(seed (\d+)\)$/m.exec(r.stdout)?.[1];
    assert.match(r.stdout, new RegExp(`^seed: ${seed} \\(fresh; pass --seed ${seed} to repeat this run\\)$`, 'm'));
    assert.doesNotMatch(r.stderr, /seed/);
  });

  it('run --shards with a corrupt image: reraise fails with the accounting on stderr, warnAndContinue skips it', async () => {
    const dir = tempDir();
    const w = new ShardWriter(join(dir, 'x-%06d.tar'));
    for (let i = 0; i < 9; i++) {
      const png = i === 4 ? Buffer.from('definitely not a png') : encodePng(new Uint8Array(16).fill(i * 20), 4, 4, 1);
      await w.write({ __key__: `k${i}`, png, cls: i % 3 });
    }
    const [shard] = await w.close();
    const failed = await runCli(['run', '--shards', shard as string, '--seed', '1', '--batch-size', '4']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /ndaflow: accounting \{.*"lost":0/);
    assert.match(failed.stderr, /ndaflow: error: Pipeline fmnist-stream failed: .*k4/);
    const r = await runCli([
      'run',
      '--shards',
      shard as string,
      '--seed',
      '1',
      '--batch-size',
      '4',
      '--handler',
      'warnAndContinue',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.accounting.yielded, 8);
    assert.equal(
      Object.values(report.accounting.skipped as Record<string, number>).reduce((a, b) => a + b, 0),
      1,
    );
    assert.equal(report.accounting.lost, 0);
    assert.equal(report.batches, 2);
    assert.match(r.stderr, /ndaflow: warning \[[a-z-]+\]: .*k4/);
  });

  it('list shows the pipelines and the default alias; an unknown name is an error listing the names', async () => {
    const list = await runCli(['list']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^fmnist-stream\s+.*\(also: default\)$/m);
    const json = JSON.parse((await runCli(['list', '--json'])).stdout);
    assert.ok(
      json.some(
        (p: { name: string; aliases: string[] }) => p.name === 'fmnist-stream' && p.aliases.includes('default'),
      ),
    );
    const bad = await runCli(['run', 'nope']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Cannot run a pipeline as its name must be one of default, fmnist-stream.*"nope"/);
  });
});
