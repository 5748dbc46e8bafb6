import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { createImageEncoder } from '../../../sinks/contrastive/image-encoder.js';
import { createVideoEncoder } from '../../../sinks/contrastive/video-encoder.js';
import { createMocoModels, type MocoModels } from '../../../sinks/contrastive/moco-models.js';
import { mocoStep } from '../../../sinks/contrastive/moco-step.js';
import { trainMoco, type ContrastiveBatch, type MocoStepReport } from '../../../sinks/contrastive/moco-trainer.js';
import { loadMocoCheckpoint, saveMocoCheckpoint } from '../../../sinks/contrastive/moco-checkpoint.js';
import { infoNceNda } from '../../../sinks/contrastive/info-nce-nda.js';
import { Random } from '../../../sources/random.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

const N = 4;

/** A view of a base image: the image plus seeded uint8 noise of +-`noise`. */
function jitter(base: Uint8Array, rng: Random, noise: number): Uint8Array {
  return base.map((v) => Math.max(0, Math.min(255, v + rng.int(-noise, noise))));
}

/**
 * Deterministic batches: batch s holds N fresh random 8x8x3 images (or [4, 8, 8, 3] clips); query and
 * key are two noisy views of each; the NDA views (m per query) are its horizontally mirrored halves
 * swapped (a stitch-like negative). Counts what was taken and whether the iterator was returned.
 */
function makeBatches(o: { m?: number; clips?: boolean; limit?: number; skip?: number } = {}) {
  const m = o.m ?? 0;
  const sample = o.clips === true ? [4, 8, 8, 3] : [8, 8, 3];
  const size = sample.reduce((a, b) => a * b, 1);
  let taken = 0;
  let returned = false;
  async function* gen(): AsyncGenerator<ContrastiveBatch> {
    try {
      for (let s = o.skip ?? 0; s < (o.limit ?? Infinity); s++) {
        taken++;
        const rng = Random.derive(7, 'moco-batches', s);
        const bases = Array.from({ length: N }, () => Uint8Array.from({ length: size }, () => rng.int(0, 255)));
        const stack = (views: Uint8Array[]) => {
          const data = new Uint8Array(views.length * size);
          views.forEach((v, i) => data.set(v, i * size));
          return { data, shape: [views.length, ...sample] as never };
        };
        const batch: ContrastiveBatch = {
          query: stack(bases.map((b) => jitter(b, rng, 8))),
          key: stack(bases.map((b) => jitter(b, rng, 8))),
        };
        if (m > 0) {
          const nda = bases.flatMap((b) =>
            Array.from({ length: m }, (_, j) => Uint8Array.from(b, (_, i) => b[(i + (j + 1) * 97) % size]!)),
          );
          yield { ...batch, nda: stack(nda) };
        } else {
          yield batch;
        }
      }
    } finally {
      returned = true;
    }
  }
  return { batches: gen(), taken: () => taken, returned: () => returned };
}

/** Two noisy views of each of n held-out random images, as [-1, 1] tensors. */
async function heldOut(tf: typeof TFJS, n: number): Promise<{ query: TFJS.Tensor; key: TFJS.Tensor }> {
  const rng = Random.derive(99, 'held-out');
  const bases = Array.from({ length: n }, () => Uint8Array.from({ length: 8 * 8 * 3 }, () => rng.int(0, 255)));
  const views = () =>
    tf.tensor4d(
      Float32Array.from(
        bases.flatMap((b) => Array.from(jitter(b, rng, 8))),
        (x) => x / 127.5 - 1,
      ),
      [n, 8, 8, 3],
    );
  return { query: views(), key: views() };
}

/** InfoNCE of the held-out queries (query networks) against the held-out keys (key networks), T = 0.2. */
function evalLoss(tf: typeof TFJS, models: MocoModels, held: { query: TFJS.Tensor; key: TFJS.Tensor }): number {
  return tf.tidy(() => {
    const embed = (enc: TFJS.LayersModel, head: TFJS.LayersModel, x: TFJS.Tensor) => {
      const z = head.apply(enc.apply(x, { training: true }), { training: true }) as TFJS.Tensor2D;
      return tf.div<TFJS.Tensor2D>(z, tf.norm(z, 'euclidean', 1, true));
    };
    const q = embed(models.queryEncoder, models.queryHead, held.query);
    const k = embed(models.keyEncoder, models.keyHead, held.key);
    const logits = tf.div(tf.matMul(q, k, false, true), 0.2);
    const n = q.shape[0];
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.range(0, n, 1, 'int32'), n), logits).dataSync()[0]!;
  });
}

function tinyModels(
  tf: typeof TFJS,
  o: { clips?: boolean; optimizer?: 'sgd' | 'adam'; learningRate?: number; queueSize?: number } = {},
): MocoModels {
  return createMocoModels(tf, {
    encoder: () =>
      o.clips === true
        ? createVideoEncoder(tf, { inputShape: [4, 8, 8, 3], width: 4, seed: 21 })
        : createImageEncoder(tf, { inputShape: [8, 8, 3], width: 4, seed: 21 }),
    projectionDim: 8,
    queueSize: o.queueSize ?? 16,
    seed: 22,
    ...(o.optimizer ? { optimizer: o.optimizer } : {}),
    ...(o.learningRate ? { learningRate: o.learningRate } : {}),
  });
}

describe('trainMoco', () => {
  it('runs N steps on N batches, writes metrics and checkpoints, keeps the tensor count flat; NDA keys stay out of the queue', async () => {
    const tf = await getTf();
    const models = tinyModels(tf);
    const dir = tempDir();
    const source = makeBatches({ m: 2 });
    const counts: number[] = [];
    const reports: MocoStepReport[] = [];
    const result = await trainMoco(tf, source.batches, {
      models,
      seed: 3,
      steps: 5,
      runDir: dir,
      checkpointEvery: 2,
      loaderState: () => ({ at: source.taken() }),
      onStep: (r) => {
        reports.push(r);
        counts.push(tf.memory().numTensors);
      },
    });
    assert.equal(result.steps, 5);
    assert.equal(source.taken(), 5);
    assert.ok(source.returned(), 'the batches iterator was returned');
    assert.deepEqual(
      reports.map((r) => r.step),
      [1, 2, 3, 4, 5],
    );
    assert.ok(
      counts.slice(1).every((c) => c === counts[0]),
      `tensor counts after steps: ${counts.join(', ')}`,
    );
    assert.deepEqual(
      reports.map((r) => r.queueFill),
      [4, 8, 12, 16, 16],
      'only the N positive keys are enqueued per step',
    );
    assert.equal(models.queuePointer, (5 * N) % 16);
    for (const r of reports) {
      assert.ok(Number.isFinite(r.loss) && r.loss > 0, JSON.stringify(r));
      assert.ok(r.positiveTop1 >= 0 && r.positiveTop1 <= 1);
      assert.ok(typeof r.ndaLogitMean === 'number' && Math.abs(r.ndaLogitMean) <= 1 / 0.2 + 1e-4, 'cosine / T');
    }
    const lines = (await readFile(join(dir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as MocoStepReport);
    assert.deepEqual(lines, reports);
    assert.equal(result.lastLoss, reports[4]!.loss);
    const folders = (await readdir(dir)).filter((f) => f.startsWith('step-')).sort();
    assert.deepEqual(folders, ['step-000002', 'step-000004', 'step-000005']);
    assert.equal((await readFile(join(dir, 'latest'), 'utf8')).trim(), 'step-000005');
    const state = JSON.parse(await readFile(join(dir, 'step-000004', 'state.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(state.step, 4);
    assert.deepEqual(state.loaderState, { at: 4 });
    assert.equal(state.queueFill, 16);
    models.dispose();
  });

  it('enqueues the NDA keys too with ndaInQueue, after the positive keys', async () => {
    const tf = await getTf();
    const models = tinyModels(tf, { queueSize: 64 });
    const fills: number[] = [];
    await trainMoco(tf, makeBatches({ m: 2 }).batches, {
      models,
      seed: 3,
      steps: 2,
      ndaInQueue: true,
      onStep: (r) => fills.push(r.queueFill),
    });
    assert.deepEqual(fills, [N * 3, N * 6]);
    assert.equal(models.queuePointer, N * 6);
    models.dispose();
  });

  it('a few steps lower the contrastive loss on held-out toy views (plain MoCo and with NDA)', async () => {
    const tf = await getTf();
    // Held-out batch: 8 other images, two noisy views each; loss = InfoNCE of each query against the 8
    // keys (its own is the positive), so it measures what the encoders learnt, whatever the queue holds.
    const held = await heldOut(tf, 8);
    for (const m of [0, 1]) {
      const models = tinyModels(tf, { optimizer: 'adam', learningRate: 1e-2, queueSize: 16 });
      const before = evalLoss(tf, models, held);
      // Batch norm over 4 views: one group (shuffle BN's groups of 2 make a 2-sample batch norm, too noisy here).
      await trainMoco(tf, makeBatches({ m }).batches, {
        models,
        seed: 4,
        steps: 30,
        momentum: 0.9,
        shuffleBnGroups: 1,
      });
      const after = evalLoss(tf, models, held);
      assert.ok(after < before - 0.2, `m=${m}: held-out loss ${before.toFixed(3)} -> ${after.toFixed(3)}`);
      models.dispose();
    }
    tf.dispose([held.query, held.key]);
  });

  it('a resumed run (2 steps, checkpoint, 2 more) gives the losses of 4 straight steps', async () => {
    const tf = await getTf();
    for (const optimizer of ['sgd', 'adam'] as const) {
      const run = async (o: { steps: number; startStep?: number; runDir?: string; load?: string }) => {
        const models = tinyModels(tf, { optimizer });
        if (o.load !== undefined) {
          const loaded = await loadMocoCheckpoint(tf, o.load, { models });
          assert.equal(loaded?.step, o.startStep);
          assert.deepEqual(loaded?.meta, { run: 'a' });
        }
        const losses: number[] = [];
        await trainMoco(tf, makeBatches({ m: 1, skip: o.startStep ?? 0 }).batches, {
          models,
          seed: 11,
          steps: o.steps,
          ...(o.startStep !== undefined ? { startStep: o.startStep } : {}),
          ...(o.runDir !== undefined ? { runDir: o.runDir, checkpointEvery: 2, meta: { run: 'a' } } : {}),
          onStep: (r) => losses.push(r.loss),
        });
        const queue = Array.from(models.queue.dataSync());
        const pointer = models.queuePointer;
        models.dispose();
        return { losses, queue, pointer };
      };
      const straight = await run({ steps: 4 });
      const dir = tempDir();
      const first = await run({ steps: 2, runDir: dir });
      assert.deepEqual(first.losses, straight.losses.slice(0, 2), `${optimizer}: same seed, same losses`);
      const resumed = await run({ steps: 4, startStep: 2, load: dir });
      assert.deepEqual(resumed.losses, straight.losses.slice(2), `${optimizer}: the resumed run continues identically`);
      assert.deepEqual(resumed.queue, straight.queue);
      assert.equal(resumed.pointer, straight.pointer);
    }
  });

  it('saves and loads every part: a loaded copy gives the same step result as the original', async () => {
    const tf = await getTf();
    const dir = tempDir();
    const a = tinyModels(tf);
    await trainMoco(tf, makeBatches({ limit: 2 }).batches, { models: a, seed: 5 });
    await saveMocoCheckpoint(tf, dir, { models: a, step: 2, loaderState: { x: 1 } });
    const b = tinyModels(tf);
    assert.equal(
      await loadMocoCheckpoint(tf, tempDir(), { models: b }),
      null,
      'an empty run folder holds no checkpoint',
    );
    await loadMocoCheckpoint(tf, dir, { models: b });
    const before = tf.memory().numTensors;
    const loaded = await loadMocoCheckpoint(tf, dir, { models: b });
    assert.equal(tf.memory().numTensors, before, 'loading again releases what it read and the state it replaced');
    assert.deepEqual(loaded && { step: loaded.step, loaderState: loaded.loaderState, meta: loaded.meta }, {
      step: 2,
      loaderState: { x: 1 },
      meta: null,
    });
    assert.equal(b.queuePointer, a.queuePointer);
    assert.equal(b.queueFill, a.queueFill);
    for (const part of ['queryEncoder', 'queryHead', 'keyEncoder', 'keyHead'] as const) {
      a[part].weights.forEach((w, i) =>
        assert.deepEqual(
          Array.from(b[part].weights[i]!.read().dataSync()),
          Array.from(w.read().dataSync()),
          `${part} weight ${i}`,
        ),
      );
    }
    const step = async (models: MocoModels) => {
      const batch = await makeBatches({ skip: 9 }).batches.next();
      const v = batch.value as ContrastiveBatch;
      const query = tf.tensor(
        Float32Array.from(v.query.data, (x) => x / 127.5 - 1),
        [...v.query.shape],
      );
      const key = tf.tensor(
        Float32Array.from(v.key.data, (x) => x / 127.5 - 1),
        [...v.key.shape],
      );
      const r = await mocoStep(tf, models, { query, key }, { seed: 5, step: 2 });
      tf.dispose([query, key]);
      return r;
    };
    assert.deepEqual(await step(b), await step(a));
    const c = tinyModels(tf, { optimizer: 'adam' });
    await assert.rejects(
      loadMocoCheckpoint(tf, dir, { models: c }),
      /the optimizer must be a Momentum: current value is Adam/,
    );
    for (const m of [a, b, c]) m.dispose();
  });

  it('trains the video encoder on clips [4, 4, 8, 8, 3] with NDA views, tensor count flat', async () => {
    const tf = await getTf();
    const counts: number[] = [];
    const losses: number[] = [];
    const result = await trainMoco(tf, makeBatches({ clips: true, m: 1 }).batches, {
      seed: 8,
      steps: 3,
      width: 4,
      queueSize: 16,
      projectionDim: 8,
      onStep: (r) => {
        losses.push(r.loss);
        counts.push(tf.memory().numTensors);
      },
    });
    assert.ok(result.models, 'built from the first batch');
    assert.deepEqual(result.models.queryEncoder.inputs[0]!.shape, [null, 4, 8, 8, 3]);
    assert.equal(result.models.featureDim, 16);
    assert.ok(
      losses.every((l) => Number.isFinite(l) && l > 0),
      losses.join(', '),
    );
    assert.ok(
      counts.slice(1).every((c) => c === counts[0]),
      `tensor counts after steps: ${counts.join(', ')}`,
    );
    result.models.dispose();
  });

  it('mocoStep wires views to keys in order through the shuffle-BN permutation: the loss and the enqueued keys match a hand computation', async () => {
    const tf = await getTf();
    // A batch-norm-free encoder, so grouping cannot change the embeddings: only the order can be wrong.
    const encoder = () => {
      const s = tf.sequential();
      s.add(tf.layers.flatten({ inputShape: [8, 8, 3] }));
      s.add(tf.layers.dense({ units: 6, kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }));
      return s;
    };
    const models = createMocoModels(tf, { encoder, projectionDim: 4, queueSize: 32, seed: 9 });
    const batch = (await makeBatches({ m: 2 }).batches.next()).value as ContrastiveBatch;
    const t = (b: ContrastiveBatch['query']) =>
      tf.tensor(
        Float32Array.from(b.data, (x) => x / 127.5 - 1),
        [...b.shape],
      );
    const [query, key, nda] = [t(batch.query), t(batch.key), t(batch.nda!)];
    const embed = (enc: TFJS.LayersModel, head: TFJS.LayersModel, x: TFJS.Tensor) =>
      tf.tidy(() => {
        const z = head.apply(enc.apply(x)) as TFJS.Tensor2D;
        return tf.div<TFJS.Tensor2D>(z, tf.norm(z, 'euclidean', 1, true));
      });
    const q = embed(models.queryEncoder, models.queryHead, query);
    const k = embed(models.keyEncoder, models.keyHead, key);
    const knda = embed(models.keyEncoder, models.keyHead, nda);
    const expected = infoNceNda(tf, {
      query: q,
      key: k,
      queue: models.queue as TFJS.Tensor2D,
      ndaKeys: knda,
      temperature: 0.2,
    });
    const want = expected.loss.dataSync()[0]!;
    const result = await mocoStep(
      tf,
      models,
      { query, key, nda },
      { seed: 1, step: 0, shuffleBnGroups: 3, ndaInQueue: true, weightDecay: 0 },
    );
    assert.ok(Math.abs(result.loss - want) < 1e-5, `${result.loss} vs ${want}`);
    const queue = models.queue.arraySync() as number[][];
    const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-5);
    k.arraySync().forEach((row, i) => assert.ok(close(queue[i]!, row), `key ${i} in queue row ${i}`));
    knda.arraySync().forEach((row, i) => assert.ok(close(queue[N + i]!, row), `NDA key ${i} in queue row ${N + i}`));
    assert.equal(models.queuePointer, N * 3);
    tf.dispose([query, key, nda, q, k, knda, expected.loss, expected.logits]);
    models.dispose();
  });

  it('validates its options before reading a batch, and refuses malformed batches', async () => {
    const tf = await getTf();
    const source = makeBatches();
    const bad: [object, RegExp][] = [
      [{ momentum: 1.5 }, /Cannot train MoCo as momentum must be in \[0, 1\]: current value is 1.5/],
      [{ temperature: 0 }, /temperature must be finite and > 0/],
      [{ steps: -1 }, /steps must be >= 0/],
      [{ checkpointEvery: 2 }, /checkpointEvery needs a runDir/],
      [{ seed: 2 ** 32 }, /seed must be in \[0, 4294967295\]/],
      [{ optimizer: 'rmsprop' }, /optimizer must be 'sgd' or 'adam'/],
      [{ shuffleBnGroups: 0 }, /shuffleBnGroups must be in \[1, /],
      [{ ndaInQueue: 'yes' }, /ndaInQueue must be a boolean/],
    ];
    for (const [options, message] of bad) await assert.rejects(trainMoco(tf, source.batches, options), message);
    assert.equal(source.taken(), 0);
    const models = tinyModels(tf);
    async function* wrong(): AsyncGenerator<ContrastiveBatch> {
      yield {
        query: { data: new Uint8Array(4 * 8 * 8 * 3), shape: [4, 8, 8, 3] },
        key: { data: new Uint8Array(2 * 8 * 8 * 3), shape: [2, 8, 8, 3] },
      };
    }
    const before = tf.memory().numTensors;
    await assert.rejects(
      trainMoco(tf, wrong(), { models, seed: 1 }),
      /the key views must have the query views' shape \[4,8,8,3\]/,
    );
    async function* ragged(): AsyncGenerator<ContrastiveBatch> {
      const v = { data: new Uint8Array(4 * 8 * 8 * 3), shape: [4, 8, 8, 3] as const };
      yield { query: v, key: v, nda: { data: new Uint8Array(3 * 8 * 8 * 3), shape: [3, 8, 8, 3] } };
    }
    await assert.rejects(
      trainMoco(tf, ragged(), { models, seed: 1 }),
      /the NDA views must be \[n \* m, 8, 8, 3\] with n = 4/,
    );
    assert.equal(tf.memory().numTensors, before, 'a refused batch leaks no tensor');
    models.dispose();
  });
});
