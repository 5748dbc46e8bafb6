import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { loadCheckpoint } from '../../../sinks/checkpoint/load-checkpoint.js';
import { createDcgan } from '../../../sinks/gan/dcgan.js';
import { trainNdaGan, type GanPair, type GanStepReport } from '../../../sinks/gan/gan-trainer.js';
import { imageBatchToTensor } from '../../../sinks/gan/to-tensor.js';
import { Random } from '../../../sources/random.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

/** Pairs of 2 random 8x8x3 uint8 images, counting how many were taken. */
function makePairs(limit = Infinity): { pairs: AsyncIterable<GanPair>; taken: () => number; returned: () => boolean } {
  let taken = 0;
  let returned = false;
  const rng = Random.derive(7, 'pairs');
  const images = () => {
    const data = new Uint8Array(2 * 8 * 8 * 3);
    for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
    return { data, shape: [2, 8, 8, 3] as const };
  };
  async function* gen(): AsyncGenerator<GanPair> {
    try {
      for (let i = 0; i < limit; i++) {
        taken++;
        yield { real: { __key__: ['a', 'b'], png: images() }, negative: { __key__: ['a', 'b'], png: images() } };
      }
    } finally {
      returned = true;
    }
  }
  return { pairs: gen(), taken: () => taken, returned: () => returned };
}

function tiny(tf: typeof TFJS) {
  const models = createDcgan(tf, { z: 8, ch: 4, size: 8, seed: 1 });
  const optimizers = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };
  const dispose = () => {
    models.generator.dispose();
    models.discriminator.dispose();
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
  };
  return { models, optimizers, dispose };
}

describe('trainNdaGan', () => {
  it('runs N G steps on exactly N*dStepsPerG pairs, writes metrics and checkpoints, keeps the tensor count flat', async () => {
    const tf = await getTf();
    const { models, optimizers, dispose } = tiny(tf);
    const dir = tempDir();
    const source = makePairs();
    const counts: number[] = [];
    const steps: number[] = [];
    const result = await trainNdaGan(tf, source.pairs, {
      models,
      optimizers,
      seed: 3,
      steps: 5,
      dStepsPerG: 3,
      runDir: dir,
      checkpointEvery: 2,
      loaderState: () => ({ at: source.taken() }),
      onStep: (r) => {
        steps.push(r.step);
        assert.ok(Number.isFinite(r.msPerStep) && r.msPerStep >= 0);
        counts.push(tf.memory().numTensors);
      },
    });
    assert.equal(result.steps, 5);
    assert.equal(source.taken(), 15, 'one pair per D step');
    assert.ok(source.returned(), 'the pairs iterator was returned');
    assert.deepEqual(steps, [1, 2, 3, 4, 5]);
    assert.ok(
      counts.slice(1).every((c) => c === counts[0]),
      `tensor counts after steps: ${counts.join(', ')}`,
    );
    const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as GanStepReport);
    assert.equal(lines.length, 5);
    lines.forEach((l, i) => {
      assert.equal(l.step, i + 1);
      assert.ok(Number.isFinite(l.dLoss) && l.dLoss >= 0 && Number.isFinite(l.gLoss), JSON.stringify(l));
      // the default weights, alpha 0.25 and beta 0.75, on the recorded terms
      const weighted = l.dLossReal + 0.25 * l.dLossFake + 0.75 * l.dLossNegative;
      assert.ok(l.dLossNegative > 0.1 && Math.abs(l.dLoss - weighted) < 1e-5, JSON.stringify(l));
    });
    assert.deepEqual(result.lastLosses, { dLoss: lines[4]!.dLoss, gLoss: lines[4]!.gLoss });
    const folders = (await readdir(dir)).filter((f) => f.startsWith('step-')).sort();
    assert.deepEqual(folders, ['step-000002', 'step-000004', 'step-000005']);
    const state = JSON.parse(await readFile(join(dir, 'step-000004', 'state.json'), 'utf8')) as {
      step: number;
      loaderState: { at: number };
    };
    assert.equal(state.step, 4);
    assert.equal(state.loaderState.at, 12);
    dispose();
  });

  it('gives the same losses for the same seed, and a resumed run continues identically', async () => {
    const tf = await getTf();
    const run = async (opts: { steps: number; startStep?: number; runDir?: string; load?: string }) => {
      const { models, optimizers, dispose } = tiny(tf);
      if (opts.load !== undefined) await loadCheckpoint(tf, opts.load, { models, optimizers });
      const source = makePairs();
      // Skip the pairs a resumed run has already consumed (what a resumed loader does).
      const it = source.pairs[Symbol.asyncIterator]();
      for (let i = 0; i < 2 * (opts.startStep ?? 0); i++) await it.next();
      const losses: number[][] = [];
      await trainNdaGan(
        tf,
        { [Symbol.asyncIterator]: () => it },
        {
          models,
          optimizers,
          seed: 11,
          dStepsPerG: 2,
          steps: opts.steps,
          ...(opts.startStep !== undefined ? { startStep: opts.startStep } : {}),
          ...(opts.runDir !== undefined ? { runDir: opts.runDir, checkpointEvery: 2 } : {}),
          onStep: (r) => losses.push([r.dLoss, r.gLoss]),
        },
      );
      dispose();
      return losses;
    };
    const a = await run({ steps: 4 });
    const dir = tempDir();
    const b = await run({ steps: 2, runDir: dir });
    assert.deepEqual(b, a.slice(0, 2), 'same seed, same losses');
    const c = await run({ steps: 4, startStep: 2, load: dir });
    assert.deepEqual(c, a.slice(2), 'the resumed run draws the same noise');
    const d = await trainOther(tf);
    assert.notDeepEqual(d, a.slice(0, 1));
  });

  it('builds a DCGAN, optimizers and an EMA when not given, and stops when the pairs end', async () => {
    const tf = await getTf();
    const source = makePairs(9);
    const result = await trainNdaGan(tf, source.pairs, { z: 8, dStepsPerG: 4, seed: 5, ema: { start: 0, decay: 0.5 } });
    assert.equal(result.steps, 2, 'nine pairs make two full steps');
    assert.equal(source.taken(), 9);
    assert.ok(result.models && result.optimizers && result.ema);
    assert.deepEqual(result.models.generator.outputs[0]!.shape, [null, 8, 8, 3]);
    assert.equal(result.ema.weights().length, result.models.generator.trainableWeights.length);
    result.ema.dispose();
    result.models.generator.dispose();
    result.models.discriminator.dispose();
    result.optimizers.generator.dispose();
    result.optimizers.discriminator.dispose();
  });

  it('trains with the alpha and beta it is given: each report is real + alpha fake + beta negative', async () => {
    const tf = await getTf();
    for (const [alpha, beta] of [
      [1, 0],
      [0.5, 2],
    ] as const) {
      const { models, optimizers, dispose } = tiny(tf);
      const reports: Record<string, number>[] = [];
      await trainNdaGan(tf, makePairs().pairs, {
        models,
        optimizers,
        alpha,
        beta,
        seed: 4,
        steps: 2,
        dStepsPerG: 2,
        onStep: (r) => reports.push({ ...r }),
      });
      assert.equal(reports.length, 2);
      for (const r of reports) {
        const weighted = r.dLossReal! + alpha * r.dLossFake! + beta * r.dLossNegative!;
        assert.ok(r.dLossNegative! > 0.1, JSON.stringify(r));
        assert.ok(Math.abs(r.dLoss! - weighted) < 1e-5, `alpha ${alpha} beta ${beta}: ${JSON.stringify(r)}`);
      }
      dispose();
    }
  });

  it('validates its options before reading a pair', async () => {
    const tf = await getTf();
    const source = makePairs();
    const bad: [object, RegExp][] = [
      [{ alpha: -1 }, /Cannot train an NDA-GAN as alpha must be finite and >= 0: current value is -1/],
      [{ beta: Infinity }, /beta must be finite and >= 0/],
      [{ alpha: 'x' }, /alpha must be a number/],
      [{ dStepsPerG: 0 }, /dStepsPerG must be in \[1, /],
      [{ dStepsPerG: 1.5 }, /dStepsPerG must be an integer/],
      [{ steps: -1 }, /steps must be >= 0/],
      [{ checkpointEvery: 2 }, /checkpointEvery needs a runDir/],
      [{ seed: -1 }, /seed must be in \[0, 4294967295\]/],
    ];
    for (const [options, message] of bad) await assert.rejects(trainNdaGan(tf, source.pairs, options), message);
    assert.equal(source.taken(), 0);
    await assert.rejects(
      trainNdaGan(tf, makePairs().pairs, { field: 'jpg', steps: 1, z: 8, seed: 1 }),
      /the real batch's field jpg must be an image batch/,
    );
  });

  it('converts uint8 pixels to [-1, 1]', async () => {
    const tf = await getTf();
    const t = imageBatchToTensor(tf, { data: Uint8Array.from([0, 255, 127.5, 51]), shape: [1, 2, 2, 1] });
    assert.equal(t.dtype, 'float32');
    const values = Array.from(t.dataSync());
    t.dispose();
    assert.deepEqual(
      values.map((v) => Math.round(v * 1000) / 1000),
      [-1, 1, Math.round((127 / 127.5 - 1) * 1000) / 1000, -0.6],
    );
    assert.throws(() => imageBatchToTensor(tf, { data: new Uint8Array(3), shape: [1, 2, 2, 1] }), RangeError);
  });
});

/** One step with another latent seed (everything else equal): different losses. */
async function trainOther(tf: typeof TFJS): Promise<number[][]> {
  const { models, optimizers, dispose } = tiny(tf);
  const losses: number[][] = [];
  await trainNdaGan(tf, makePairs().pairs, {
    models,
    optimizers,
    seed: 12,
    dStepsPerG: 2,
    steps: 1,
    onStep: (r) => losses.push([r.dLoss, r.gLoss]),
  });
  dispose();
  return losses;
}
