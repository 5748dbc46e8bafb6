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

  it('says so when the run folder holds nothing yet', async () => {
    const dir = tempDir();
    const html = await readFile(await writeRunReport(dir), 'utf8');
    assert.match(html, /Nothing recorded yet/);
  });
});
