import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { createDcgan } from '../../../sinks/gan/dcgan.js';
import { ndaGanStep } from '../../../sinks/gan/hinge-nda-step.js';
import { GeneratorEma } from '../../../sinks/gan/generator-ema.js';
import { fileIoHandler } from '../../../sinks/checkpoint/file-io-handler.js';
import { saveCheckpoint } from '../../../sinks/checkpoint/save-checkpoint.js';
import { loadCheckpoint } from '../../../sinks/checkpoint/load-checkpoint.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function loadTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'cpu' });
  return await import('@tensorflow/tfjs');
}

function build(tf: typeof TFJS, seed: number) {
  const models = createDcgan(tf, { z: 8, ch: 4, size: 8, seed });
  const optimizers = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };
  const ema = new GeneratorEma(tf, models.generator, { decay: 0.9, start: 1 });
  const dispose = () => {
    ema.dispose();
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
    models.generator.dispose();
    models.discriminator.dispose();
  };
  return { models, optimizers, ema, dispose };
}

/** The checkpoint parts of a built set (without its dispose, which is no option of the checkpoint calls). */
function parts(built: ReturnType<typeof build>) {
  return { models: built.models, optimizers: built.optimizers, ema: built.ema };
}

function batch(tf: typeof TFJS, seed: number) {
  return {
    real: tf.randomUniform<TFJS.Rank.R4>([2, 8, 8, 3], -1, 1, 'float32', seed),
    negative: tf.randomUniform<TFJS.Rank.R4>([2, 8, 8, 3], -1, 1, 'float32', seed + 1),
    z: tf.randomNormal<TFJS.Rank.R2>([2, 8], 0, 1, 'float32', seed + 2),
    zG: tf.randomNormal<TFJS.Rank.R2>([2, 8], 0, 1, 'float32', seed + 3),
  };
}

async function step(tf: typeof TFJS, pair: ReturnType<typeof build>, seed: number, index: number) {
  const inputs = batch(tf, seed);
  try {
    const losses = await ndaGanStep(tf, pair.models, pair.optimizers, inputs);
    pair.ema.update(index);
    return losses;
  } finally {
    tf.dispose(Object.values(inputs));
  }
}

const values = (model: TFJS.LayersModel) => model.weights.map((w) => Float32Array.from(w.read().dataSync()));
const emaValues = (ema: GeneratorEma) => ema.weights().map((w) => Float32Array.from(w.tensor.dataSync()));

function assertClose(a: Float32Array[], b: Float32Array[], what: string, tolerance = 1e-6): void {
  assert.equal(a.length, b.length, `${what}: tensor count`);
  a.forEach((x, i) => {
    assert.equal(x.length, b[i]!.length);
    x.forEach((v, j) =>
      assert.ok(Math.abs(v - b[i]![j]!) <= tolerance, `${what}: tensor ${i}[${j}] ${v} vs ${b[i]![j]}`),
    );
  });
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('restores weights, optimizer state and EMA so the next step matches the uninterrupted run', async () => {
    const tf = await loadTf();
    const dir = tempDir();
    const original = build(tf, 1);
    for (let i = 0; i < 2; i++) await step(tf, original, 10 * i, i);
    const loaderState = { pass: 0, shard: 3, index: 17 };
    const folder = await saveCheckpoint(tf, dir, { ...parts(original), step: 2, loaderState });
    assert.equal(folder, join(dir, 'step-000002'));
    assert.equal((await readFile(join(dir, 'latest'), 'utf8')).trim(), 'step-000002');
    assert.ok(!existsSync(`${folder}.tmp`), 'the temporary folder is renamed away');

    const restored = build(tf, 2);
    assert.ok(
      values(restored.models.generator).some((w, i) =>
        w.some((v, j) => v !== values(original.models.generator)[i]![j]),
      ),
      'another seed starts elsewhere',
    );
    const loaded = await loadCheckpoint(tf, dir, parts(restored));
    assert.deepEqual(loaded, { step: 2, loaderState, folder });
    assertClose(values(restored.models.generator), values(original.models.generator), 'G after load', 0);
    assertClose(values(restored.models.discriminator), values(original.models.discriminator), 'D after load', 0);
    assertClose(emaValues(restored.ema), emaValues(original.ema), 'EMA after load', 0);

    const a = await step(tf, original, 99, 2);
    const b = await step(tf, restored, 99, 2);
    assert.ok(
      Math.abs(a.dLoss - b.dLoss) <= 1e-6 && Math.abs(a.gLoss - b.gLoss) <= 1e-6,
      `${JSON.stringify(a)} vs ${JSON.stringify(b)}`,
    );
    assertClose(values(restored.models.generator), values(original.models.generator), 'G after a step');
    assertClose(values(restored.models.discriminator), values(original.models.discriminator), 'D after a step');
    assertClose(emaValues(restored.ema), emaValues(original.ema), 'EMA after a step');

    // Without the optimizer state the same step lands elsewhere: the comparison above can fail.
    const fresh = build(tf, 3);
    fresh.models.generator.setWeights(original.models.generator.weights.map((w) => w.read()));
    await loadCheckpoint(tf, dir, parts(fresh));
    fresh.optimizers.generator.dispose();
    const plain = { ...fresh, optimizers: { ...fresh.optimizers, generator: tf.train.adam(2e-4, 0, 0.999) } };
    await step(tf, plain, 99, 2);
    const gPlain = values(plain.models.generator);
    const gRestored = values(restored.models.generator);
    assert.ok(
      gPlain.some((w, i) => w.some((v, j) => Math.abs(v - gRestored[i]![j]!) > 1e-6)),
      'a fresh Adam state gives another update',
    );
    plain.optimizers.generator.dispose();
    fresh.ema.dispose();
    fresh.optimizers.discriminator.dispose();
    fresh.models.generator.dispose();
    fresh.models.discriminator.dispose();
    original.dispose();
    restored.dispose();
  });

  it('moves latest only to complete checkpoints and loads a named step', async () => {
    const tf = await loadTf();
    const dir = tempDir();
    const pair = build(tf, 1);
    await saveCheckpoint(tf, dir, { ...parts(pair), step: 0 });
    await step(tf, pair, 5, 0);
    const after1 = values(pair.models.generator);
    await saveCheckpoint(tf, dir, { ...parts(pair), step: 1, loaderState: 'x' });
    assert.equal((await readFile(join(dir, 'latest'), 'utf8')).trim(), 'step-000001');
    // A crash mid-save leaves a half-written .tmp folder that latest never names.
    await mkdir(join(dir, 'step-000002.tmp', 'generator'), { recursive: true });
    await writeFile(join(dir, 'step-000002.tmp', 'generator', 'weights.bin'), 'half');
    const other = build(tf, 4);
    const loaded0 = await loadCheckpoint(tf, dir, { ...parts(other), step: 0 });
    assert.equal(loaded0.step, 0);
    assert.equal(loaded0.loaderState, null);
    const latest = await loadCheckpoint(tf, dir, parts(other));
    assert.equal(latest.step, 1);
    assert.equal(latest.loaderState, 'x');
    assertClose(values(other.models.generator), after1, 'G at step 1', 0);
    // Saving the same step again replaces it.
    await saveCheckpoint(tf, dir, { ...parts(pair), step: 1, loaderState: 'y' });
    assert.equal((await loadCheckpoint(tf, dir, parts(other))).loaderState, 'y');
    pair.dispose();
    other.dispose();
  });

  it('keeps the tensor count flat around save and load', async () => {
    const tf = await loadTf();
    const dir = tempDir();
    const pair = build(tf, 1);
    await step(tf, pair, 1, 0);
    const other = build(tf, 2);
    await step(tf, other, 2, 0);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      await saveCheckpoint(tf, dir, { ...parts(pair), step: i });
      await loadCheckpoint(tf, dir, parts(other));
      assert.equal(tf.memory().numTensors, before, `tensor count after save/load ${i}`);
    }
    pair.dispose();
    other.dispose();
  });

  it('gives clear errors for a missing folder, a corrupt file, a shape mismatch and a wrong version', async () => {
    const tf = await loadTf();
    const dir = tempDir();
    const pair = build(tf, 1);
    await assert.rejects(
      loadCheckpoint(tf, join(dir, 'nothing'), parts(pair)),
      /Cannot load checkpoint .*nothing as it must hold a latest pointer or a state.json/,
    );
    await assert.rejects(
      loadCheckpoint(tf, dir, { ...parts(pair), step: 7 }),
      /Cannot load checkpoint .*step-000007 as .*state.json must be a readable JSON file/,
    );
    const folder = await saveCheckpoint(tf, dir, { ...parts(pair), step: 3 });

    const wide = createDcgan(tf, { z: 8, ch: 8, size: 8, seed: 1 });
    const wideOpt = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };
    const g0 = values(wide.generator);
    const before = tf.memory().numTensors;
    await assert.rejects(loadCheckpoint(tf, dir, { models: wide, optimizers: wideOpt }), (e: Error) => {
      assert.ok(e instanceof RangeError);
      assert.match(
        e.message,
        /Cannot load checkpoint .*step-000003 as the generator weights tensor 0 .* must have shape \[8, 32\]/,
      );
      return true;
    });
    assert.equal(tf.memory().numTensors, before, 'a failed load releases what it read');
    assertClose(values(wide.generator), g0, 'a failed load assigns nothing', 0);
    wide.generator.dispose();
    wide.discriminator.dispose();

    const weights = join(folder, 'discriminator', 'weights.bin');
    const bytes = await readFile(weights);
    await writeFile(weights, bytes.subarray(0, 10));
    await assert.rejects(
      loadCheckpoint(tf, dir, parts(pair)),
      /Cannot load checkpoint .* as its discriminator must be readable: .*must be \d+ bytes: current value is 10/,
    );
    await rm(weights);
    await assert.rejects(
      loadCheckpoint(tf, dir, parts(pair)),
      /Cannot load checkpoint .* as its discriminator must be readable: .*weights.bin must be readable/,
    );
    await writeFile(weights, bytes);
    await writeFile(join(folder, 'generator', 'model.json'), '{"weightsManifest": [');
    await assert.rejects(
      loadCheckpoint(tf, dir, parts(pair)),
      /Cannot load checkpoint .* as its generator must be readable: .*model.json must be valid JSON/,
    );

    await saveCheckpoint(tf, dir, { ...parts(pair), step: 4 });
    const statePath = join(dir, 'step-000004', 'state.json');
    const state = JSON.parse(await readFile(statePath, 'utf8'));
    await writeFile(statePath, JSON.stringify({ ...state, version: 99 }));
    await assert.rejects(
      loadCheckpoint(tf, dir, parts(pair)),
      /Cannot load checkpoint .*step-000004 as its version must be 1: current value is 99/,
    );
    await writeFile(statePath, JSON.stringify({ ...state, ema: false }));
    await assert.rejects(loadCheckpoint(tf, dir, parts(pair)), /Cannot load checkpoint .* as it must hold an EMA/);
    await assert.rejects(saveCheckpoint(tf, dir, { ...parts(pair), step: -1 }), RangeError);
    wideOpt.generator.dispose();
    wideOpt.discriminator.dispose();
    pair.dispose();
  });
});

describe('fileIoHandler', () => {
  it('round-trips a model through model.save and tf.loadLayersModel', async () => {
    const tf = await loadTf();
    const dir = tempDir();
    const { generator, discriminator } = createDcgan(tf, { z: 8, ch: 4, size: 8, seed: 1 });
    const result = await generator.save(fileIoHandler(tf, join(dir, 'g')));
    assert.ok((result.modelArtifactsInfo.weightDataBytes ?? 0) > 0);
    const json = JSON.parse(await readFile(join(dir, 'g', 'model.json'), 'utf8'));
    assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
    assert.ok(json.modelTopology);
    const loaded = await tf.loadLayersModel(fileIoHandler(tf, join(dir, 'g')));
    assertClose(values(loaded), values(generator), 'loaded generator', 0);
    const z = tf.randomNormal([2, 8], 0, 1, 'float32', 3);
    const [a, b] = [generator.predict(z) as TFJS.Tensor, loaded.predict(z) as TFJS.Tensor];
    assertClose([a.dataSync() as Float32Array], [b.dataSync() as Float32Array], 'outputs', 0);
    tf.dispose([z, a, b]);
    await assert.rejects(
      tf.loadLayersModel(fileIoHandler(tf, join(dir, 'missing'))),
      /Cannot load model artifacts as .*model.json must be readable/,
    );
    loaded.dispose();
    generator.dispose();
    discriminator.dispose();
  });
});
