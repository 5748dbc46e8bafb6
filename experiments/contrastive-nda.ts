/**
 * The contrastive experiment (README, "Experiment: MoCo + NDA"): MoCo-v2 against MoCo-v2 + NDA on
 * the same shards, steps and seeds, scored by linear probes of the frozen encoder; with two brackets
 * per seed: the probe of a randomly initialised encoder (same architecture, same seed) and of the raw
 * pixels. Each training run is a normal pipeline run (`ndaflow run PIPELINE`) in its own run folder
 * under `--out`; a run whose `eval.jsonl` is already there is read, not trained again.
 *
 *   node dist-test/experiments/contrastive-nda.js --pipeline fmnist-moco --nda none,jigsaw --seeds 1,2 \
 *     --steps 300 --out runs/experiment-moco
 *   node dist-test/experiments/contrastive-nda.js --pipeline moving-fmnist-video-moco --nda none,shuffle \
 *     --seeds 1,2 --steps 300 --out runs/experiment-video-moco
 *
 * Prints a Markdown table (mean over the seeds, and each seed) and, last, one JSON line with every figure.
 */
import type * as TFJS from '@tensorflow/tfjs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../sinks/backend/select-backend.js';
import { FMNIST_MOCO_SPEC } from '../pipelines/fmnist-moco.js';
import type { MocoPipelineSpec } from '../pipelines/internal/moco-pipeline.js';
import { probeEncoder } from '../pipelines/internal/probe-encoder.js';
import { MOVING_FMNIST_VIDEO_MOCO_SPEC } from '../pipelines/moving-fmnist-video-moco.js';
import { findPipeline } from '../pipelines/registry.js';
import { readJsonLines } from '../sinks/report/run-folder.js';
import { deriveSeed } from '../sources/random.js';

const SPECS: Readonly<Record<string, MocoPipelineSpec>> = {
  [FMNIST_MOCO_SPEC.name]: FMNIST_MOCO_SPEC,
  [MOVING_FMNIST_VIDEO_MOCO_SPEC.name]: MOVING_FMNIST_VIDEO_MOCO_SPEC,
};

const { values } = parseArgs({
  options: {
    pipeline: { type: 'string', default: 'fmnist-moco' },
    nda: { type: 'string', default: 'none,jigsaw' },
    seeds: { type: 'string', default: '1,2' },
    steps: { type: 'string', default: '300' },
    shards: { type: 'string' },
    'test-shards': { type: 'string' },
    out: { type: 'string', default: 'runs/experiment-moco' },
  },
});

/** Probe figures by label (`class`, `direction`). */
type Figures = Record<string, number>;

function rowsToFigures(rows: readonly { label?: unknown; top1?: unknown }[]): Figures {
  const out: Figures = {};
  for (const r of rows) if (typeof r.label === 'string' && typeof r.top1 === 'number') out[r.label] = r.top1;
  return out;
}

async function trainedRun(pipeline: string, nda: string, seed: number, steps: number, out: string): Promise<Figures> {
  const runDir = join(out, `${pipeline}-${nda}-s${seed}`);
  const done = rowsToFigures(await readJsonLines(join(runDir, 'eval.jsonl')));
  if (Object.keys(done).length > 0) return done;
  const started = performance.now();
  const result = await findPipeline(pipeline).run(
    {
      nda,
      seed,
      steps,
      runDir,
      ...(values.shards !== undefined ? { shards: values.shards } : {}),
      ...(values['test-shards'] !== undefined ? { testShards: values['test-shards'] } : {}),
    },
    {
      log: (line) => process.stderr.write(`[${nda} s${seed}] ${line}\n`),
    },
  );
  process.stderr.write(
    `[${nda} s${seed}] done in ${((performance.now() - started) / 1000).toFixed(0)} s, ${result.details?.['stepsPerSecond']} steps/s\n`,
  );
  return rowsToFigures(await readJsonLines(join(runDir, 'eval.jsonl')));
}

async function brackets(
  tf: typeof TFJS,
  spec: MocoPipelineSpec,
  seed: number,
  out: string,
): Promise<{ random: Figures; pixels: Figures }> {
  const path = join(out, `${spec.name}-brackets-s${seed}.json`);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as { random: Figures; pixels: Figures };
  } catch {
    // not measured yet
  }
  const options = {
    trainShards: values.shards ?? spec.defaultShards(),
    testShards: spec.testShards({
      ...(values.shards !== undefined ? { shards: values.shards } : {}),
      ...(values['test-shards'] !== undefined ? { testShards: values['test-shards'] } : {}),
    }),
    stages: spec.probeView(undefined),
    probes: spec.probes,
    trainSamples: spec.defaults.probeTrain,
    testSamples: spec.defaults.probeTest,
    seed: deriveSeed(seed, 'probe'),
  };
  const randomEncoder = spec.encoder(tf, spec.inputShape, spec.defaults.width, deriveSeed(seed, 'encoder'));
  const pixels = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [...spec.inputShape] })] });
  try {
    const random = rowsToFigures(await probeEncoder(tf, randomEncoder, options));
    const raw = rowsToFigures(await probeEncoder(tf, pixels, options));
    const result = { random, pixels: raw };
    await writeFile(path, `${JSON.stringify(result)}\n`);
    return result;
  } finally {
    randomEncoder.dispose();
    pixels.dispose();
  }
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

function pct(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`;
}

async function main(): Promise<void> {
  const pipeline = values.pipeline;
  const spec = SPECS[pipeline];
  if (spec === undefined)
    throw new RangeError(
      `Cannot run the experiment as --pipeline must be one of ${Object.keys(SPECS).join(', ')}: current value is ${pipeline}`,
    );
  const ndas = values.nda.split(',').filter((s) => s !== '');
  const seeds = values.seeds.split(',').map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new RangeError(`Cannot run the experiment as --seeds must be integers: current value is ${values.seeds}`);
  const steps = Number(values.steps);
  const out = values.out;
  await mkdir(out, { recursive: true });

  const results: Record<string, Figures[]> = {};
  for (const seed of seeds) {
    for (const nda of ndas) (results[nda] ??= []).push(await trainedRun(pipeline, nda, seed, steps, out));
  }
  await selectBackend({});
  const tf = await import('@tensorflow/tfjs');
  const bracket = { random: [] as Figures[], pixels: [] as Figures[] };
  for (const seed of seeds) {
    const b = await brackets(tf, spec, seed, out);
    bracket.random.push(b.random);
    bracket.pixels.push(b.pixels);
  }

  const labels = spec.probes.map((p) => p.label);
  const lines = [
    `| ${pipeline}, ${steps} steps, seeds ${seeds.join(', ')} | ${labels.map((l) => `${l} top-1 (mean)`).join(' | ')} | ${labels.map((l) => `${l} per seed`).join(' | ')} |`,
    `|---|${labels.map(() => '---').join('|')}|${labels.map(() => '---').join('|')}|`,
  ];
  const addRow = (name: string, figures: readonly Figures[]): void => {
    const means = labels.map((l) => pct(mean(figures.map((f) => f[l] as number))));
    const each = labels.map((l) => figures.map((f) => pct(f[l])).join(', '));
    lines.push(`| ${name} | ${means.join(' | ')} | ${each.join(' | ')} |`);
  };
  addRow('random-init encoder (bracket)', bracket.random);
  addRow('raw pixels (bracket)', bracket.pixels);
  for (const nda of ndas) addRow(nda === 'none' ? 'MoCo-v2' : `MoCo-v2 + NDA (${nda})`, results[nda] ?? []);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify({ pipeline, steps, seeds, results, brackets: bracket })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
