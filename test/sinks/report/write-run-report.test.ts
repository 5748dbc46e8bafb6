import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonLines, readRunConfig, writeRunConfig } from '../../../sinks/report/run-folder.js';
import { writeRunReport } from '../../../sinks/report/write-run-report.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('writeRunConfig / readRunConfig / readJsonLines', () => {
  it('round-trips the resolved configuration and reports a missing one as null', async () => {
    const dir = tempDir();
    assert.equal(await readRunConfig(dir), null);
    await writeRunConfig(join(dir, 'run'), { pipeline: 'fmnist-gan', seed: 3, nda: 'jigsaw', gone: undefined });
    assert.deepEqual(await readRunConfig(join(dir, 'run')), { pipeline: 'fmnist-gan', seed: 3, nda: 'jigsaw' });
    await assert.rejects(
      () => writeRunConfig(dir, [] as unknown as Record<string, unknown>),
      /Cannot write a run configuration as config must be an object/,
    );
  });

  it('ignores a last line cut short by a crash but names the file and line of any other bad line', async () => {
    const dir = tempDir();
    const path = join(dir, 'metrics.jsonl');
    assert.deepEqual(await readJsonLines(path), []);
    await writeFile(path, '{"step":1,"dLoss":2}\n{"step":2,"dLoss":1.5}\n{"step":3,"dL');
    assert.deepEqual(await readJsonLines(path), [
      { step: 1, dLoss: 2 },
      { step: 2, dLoss: 1.5 },
    ]);
    await writeFile(path, '{"step":1}\nnot json\n{"step":3}\n');
    await assert.rejects(() => readJsonLines(path), /metrics\.jsonl as line 2 is not JSON/);
  });
});

describe('writeRunReport', () => {
  it('writes one self-contained HTML page with the config, loss curves, evaluations, tables and images', async () => {
    const dir = tempDir();
    await writeRunConfig(dir, { pipeline: 'fmnist-gan', nda: 'jigsaw', loader: { shuffle: 1000 } });
    for (let step = 1; step <= 20; step++)
      await appendFile(
        join(dir, 'metrics.jsonl'),
        `${JSON.stringify({ step, dLoss: 2 / step, gLoss: step / 10, msPerStep: 900 })}\n`,
      );
    await writeFile(
      join(dir, 'eval.jsonl'),
      `${JSON.stringify({ step: 10, fid: 80.5, kid: 0.09, kidStd: 0.01, n: 1000 })}\n${JSON.stringify({ step: 20, fid: 60.25, kid: 0.07, kidStd: 0.01, n: 1000 })}\n`,
    );
    await writeFile(
      join(dir, 'anomaly.json'),
      JSON.stringify({
        normalClass: 0,
        rows: [
          { set: 'one-class', auroc: 0.91 },
          { set: 'jigsaw', auroc: 0.97 },
        ],
      }),
    );
    await writeFile(join(dir, 'samples-step-000020.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const path = await writeRunReport(dir, { title: 'run <1>' });
    assert.equal(path, join(dir, 'report.html'));
    const html = await readFile(path, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<h1>run &lt;1&gt;<\/h1>/);
    assert.match(html, /<th>loader\.shuffle<\/th><td>1000<\/td>/, 'nested config keys are flattened');
    assert.match(html, /20 steps recorded/);
    assert.equal((html.match(/<svg /g) ?? []).length, 1 + 1 + 2, 'losses + msPerStep + fid + kid');
    assert.match(html, /<td>60\.25<\/td>/);
    assert.match(html, /<h3>anomaly\.json<\/h3>.*<td>one-class<\/td><td>0\.91<\/td>/s);
    assert.match(html, /<img src="samples-step-000020\.png"/);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org)/, 'no script and no remote asset');
  });

  it('shows the OOD protocol of ood.json as its own section: AUROC per set and the mean, not in the FID charts', async () => {
    const dir = tempDir();
    await writeFile(
      join(dir, 'eval.jsonl'),
      [
        { step: 20, fid: 60.25, kid: 0.07, kidStd: 0.01, n: 1000 },
        { step: 20, ood: 'svhn', auroc: 0.8125, n: 100 },
        { step: 20, ood: 'nda/jigsaw-2', auroc: 0.6875, n: 100 },
        { step: 20, ood: 'mean', auroc: 0.75 },
      ]
        .map((r) => `${JSON.stringify(r)}\n`)
        .join(''),
    );
    await writeFile(
      join(dir, 'ood.json'),
      JSON.stringify({
        step: 20,
        in: 'test-{000000..000001}.tar',
        ood: { svhn: 'svhn-000000.tar' },
        sets: [
          { name: 'svhn', n: 100, auroc: 0.8125 },
          { name: 'nda/jigsaw-2', n: 100, auroc: 0.6875 },
        ],
        mean: 0.75,
        skipped: [{ name: 'nda/jigsaw-16', reason: 'k must divide the side' }],
        n: 100,
      }),
    );
    const html = await readFile(await writeRunReport(dir), 'utf8');
    const section = /<h2>Out-of-distribution detection<\/h2>(.*?)(<h2>|<\/body>)/s.exec(html)?.[1] ?? '';
    assert.match(
      section,
      /checkpoint of step 20\): 100 in-distribution test images \(test-\{000000\.\.000001\}\.tar\)/,
    );
    assert.match(section, /1 given and 1 NDA'd test sets/);
    assert.match(section, /<tr><td>svhn<\/td><td>0\.8125<\/td><td>100<\/td><\/tr>/);
    assert.match(section, /<tr><td>nda\/jigsaw-2<\/td><td>0\.6875<\/td><td>100<\/td><\/tr>/);
    assert.match(section, /<tr><td>mean<\/td><td>0\.75<\/td><td><\/td><\/tr>/);
    assert.match(section, /Left out: nda\/jigsaw-16 \(k must divide the side\)/);
    // the evaluation section keeps the FID row only: no auroc column, no auroc chart, no ood.json table
    const evaluation = /<h2>Evaluation<\/h2>(.*?)<h2>/s.exec(html)?.[1] ?? '';
    assert.match(evaluation, /<td>60\.25<\/td>/);
    assert.doesNotMatch(evaluation, /auroc|svhn/);
    assert.doesNotMatch(html, /<h3>ood\.json<\/h3>/);
  });

  it('says so when the run folder holds nothing yet', async () => {
    const dir = tempDir();
    const html = await readFile(await writeRunReport(dir), 'utf8');
    assert.match(html, /Nothing recorded yet/);
  });
});
