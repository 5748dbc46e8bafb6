import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fmnistAnomaly } from '../../pipelines/fmnist-anomaly.js';
import { findPipeline } from '../../pipelines/registry.js';
import { runCli } from '../cli/cli-helper.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('fmnistAnomaly', () => {
  it('is registered as fmnist-anomaly', () => {
    assert.equal(findPipeline('fmnist-anomaly'), fmnistAnomaly);
  });

  it('trains 1 G step on class 3 of the embedded shards, scores the test split, writes anomaly.json; nothing lost', async () => {
    const runDir = join(tempDir(), 'run');
    const lines: string[] = [];
    const r = await fmnistAnomaly.run(
      {
        normalClass: 3,
        nda: 'none',
        steps: 1,
        seed: 1,
        backend: 'wasm',
        batchSize: 8,
        shuffle: 0,
        runDir,
      },
      {
        log: (l) => lines.push(l),
      },
    );
    const report = JSON.parse(readFileSync(join(runDir, 'anomaly.json'), 'utf8'));
    assert.equal(report.normalClass, 3);
    assert.equal(report.nda, 'none');
    assert.equal(report.steps, 1);
    const sets = report.rows.map((row: { set: string }) => row.set);
    assert.deepEqual(sets, [
      'one-class',
      'nda/jigsaw',
      'nda/stitch',
      'nda/mixup',
      'nda/cutout',
      'nda/cutmix',
      'corruption/gaussian-noise',
      'corruption/shot-noise',
      'corruption/impulse-noise',
      'corruption/gaussian-blur',
      'corruption/contrast',
      'corruption/pixelate',
      'mean',
    ]);
    for (const row of report.rows) assert.ok(row.auroc >= 0 && row.auroc <= 1, `${row.set}: ${row.auroc}`);
    // the test split: 1000 images, every one delivered; the normal class against the other nine
    const test = report.accounting.test;
    assert.equal(test.seen, 1000);
    assert.equal(test.yielded, 1000);
    assert.equal(test.lost, 0);
    const [oneClass] = report.rows;
    assert.equal(oneClass.n + oneClass.nIn, 1000);
    assert.ok(oneClass.nIn > 50 && oneClass.nIn < 150, `normal test images: ${oneClass.nIn}`);
    for (const row of report.rows.slice(1, -1)) assert.deepEqual([row.n, row.nIn], [oneClass.nIn, oneClass.nIn]);
    assert.deepEqual(Object.keys(report.perClass), ['0', '1', '2', '4', '5', '6', '7', '8', '9']);
    const mean = report.rows.at(-1);
    assert.ok(
      Math.abs(mean.auroc - report.rows.slice(1, -1).reduce((s: number, x: { auroc: number }) => s + x.auroc, 0) / 11) <
        1e-12,
    );
    // the training: only class 3 kept, the rest counted as skipped, none lost
    const train = r.accounting;
    assert.equal(train.lost, 0);
    assert.ok(train.skipped['other-class']! > 0);
    assert.equal(
      train.seen,
      train.yielded + Object.values(train.skipped).reduce((s, n) => s + n, 0) + train.inFlight + train.buffered,
    );
    assert.equal(r.batches, 4);
    assert.equal(r.results?.oneClassAuroc, Math.round(oneClass.auroc * 10000) / 10000);
    assert.ok(existsSync(join(runDir, 'metrics.jsonl')));
    assert.ok(
      lines.some((l) => /^ {2}one-class +0\.\d{4}/.test(l)),
      lines.join('\n'),
    );
    // the run folder's config and report, with the AUROC table
    assert.equal(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).normalClass, 3);
    assert.equal(r.details?.report, join(runDir, 'report.html'));
    assert.match(readFileSync(join(runDir, 'report.html'), 'utf8'), /<h3>anomaly\.json<\/h3>.*<td>one-class<\/td>/s);
  });

  it('a bad class or nda is a RangeError before anything is written; --shards without test shards beside them too', async () => {
    const runDir = join(tempDir(), 'run');
    await assert.rejects(
      fmnistAnomaly.run({ normalClass: 10, steps: 1, runDir }),
      /normalClass must be an integer in \[0, 9\]: current value is 10/,
    );
    // @ts-expect-error: a bad name, checked at run time
    await assert.rejects(fmnistAnomaly.run({ nda: 'rotate', steps: 1, runDir }), /nda must be one of none, jigsaw/);
    await assert.rejects(
      fmnistAnomaly.run({ shards: '/nowhere/x-{0..1}.tar', steps: 1, runDir }),
      /must hold test-NNNNNN\.tar\[\.gz\] shards \(or give --test-shards\)/,
    );
    assert.equal(existsSync(runDir), false);
  });

  it('through the CLI: a bad --normal-class exits 1', async () => {
    const bad = await runCli(['run', 'fmnist-anomaly', '--normal-class', '12', '--steps', '1', '--no-progress']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--normal-class must be an integer in \[0, 9\]: current value is 12/);
  });
});
