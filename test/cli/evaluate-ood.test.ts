import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fmnistGan } from '../../pipelines/fmnist-gan.js';
import { embeddedShards } from '../../pipelines/internal/embedded-shards.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './cli-helper.js';

describe('ndaflow evaluate ood', () => {
  it("scores a run's D: each --ood set and the NDA'd test sets, AUROCs in ood.json and eval.jsonl", async () => {
    const runDir = join(tempDir(), 'run');
    await fmnistGan.run({
      evaluate: false,
      nda: 'jigsaw',
      steps: 1,
      seed: 3,
      backend: 'wasm',
      batchSize: 4,
      shuffle: 0,
      runDir,
    });
    const test = embeddedShards('fmnist', 'test').join('::');
    const r = await runCli([
      'evaluate',
      'ood',
      '--run',
      runDir,
      '--in',
      test,
      '--ood',
      `same=${test}`,
      '--limit',
      '24',
      '--backend',
      'wasm',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /AUROC same: 0\.5000 \(24 images\)/);
    const result = JSON.parse(readFileSync(join(runDir, 'ood.json'), 'utf8'));
    // the same images score the same: every pair ties
    assert.equal(result.sets[0].name, 'same');
    assert.equal(result.sets[0].auroc, 0.5);
    // 32 px runs (fmnist pads 28 -> 32): every NDA set of the protocol
    assert.deepEqual(
      result.sets.map((s: { name: string }) => s.name),
      [
        'same',
        'nda/jigsaw-2',
        'nda/jigsaw-4',
        'nda/jigsaw-8',
        'nda/jigsaw-16',
        'nda/stitch',
        'nda/mixup',
        'nda/noise',
        'nda/constant',
      ],
    );
    const rows = readFileSync(join(runDir, 'eval.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(rows.at(-1).ood, 'mean');
    assert.ok(Math.abs(rows.at(-1).auroc - result.mean) < 1e-12);
    // the run's report gains the section, under the training run's title
    assert.match(r.stdout, new RegExp(`report: ${join(runDir, 'report.html').replace(/[.\\]/g, '\\$&')}`));
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    assert.match(html, /<title>fmnist-gan jigsaw seed 3<\/title>/);
    assert.match(html, /<h2>Out-of-distribution detection<\/h2>.*<tr><td>same<\/td><td>0\.5<\/td><td>24<\/td><\/tr>/s);
    assert.match(html, new RegExp(`<tr><td>mean</td><td>${Number(result.mean.toPrecision(5))}</td>`));
    const bad = await runCli(['evaluate', 'ood', '--run', runDir, '--in', test, '--ood', 'nameonly']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--ood as it must be NAME=SHARDS/);
  });
});
