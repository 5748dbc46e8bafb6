import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../../sinks/backend/index.js';
import { loadCheckpoint } from '../../../sinks/checkpoint/load-checkpoint.js';
import { conditionalClasses } from '../../../sinks/gan/conditional-classes.js';
import { createSnResnetGan } from '../../../sinks/gan/sn-resnet.js';
import { trainNdaGan, type GanPair } from '../../../sinks/gan/gan-trainer.js';
import { SampleError } from '../../../sources/errors.js';
import { Random } from '../../../sources/random.js';
import { tempDir } from '../../helpers/temp-dir.js';

async function getTf(): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads: 2 });
  return await import('@tensorflow/tfjs');
}

/** Pairs of 2 random 8x8x1 uint8 images with `cls` labels as Buffers (what batch() collates from raw `cls`). */
async function* pairs(
  limit: number,
  cls: (i: number) => unknown = (i) => Buffer.from(String(i % 3)),
): AsyncGenerator<GanPair> {
  const rng = Random.derive(7, 'pairs');
  const images = () => {
    const data = new Uint8Array(2 * 8 * 8);
    for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
    return { data, shape: [2, 8, 8, 1] as const };
  };
  for (let i = 0; i < limit; i++) {
    const real = { __key__: [`a${i}`, `b${i}`], png: images(), cls: [cls(2 * i), cls(2 * i + 1)] };
    yield { real, negative: { ...real, png: images() } };
  }
}

describe('trainNdaGan with conditional models', () => {
  for (const architecture of ['dcgan', 'sn-resnet'] as const) {
    it(`builds a conditional ${architecture}, reads the labels, repeats with a seed and keeps the tensor count flat`, async () => {
      const tf = await getTf();
      const run = async () => {
        const counts: number[] = [];
        const losses: number[] = [];
        const result = await trainNdaGan(tf, pairs(6), {
          architecture,
          ch: 4,
          classes: 3,
          z: 8,
          dStepsPerG: 2,
          seed: 21,
          onStep: (r) => {
            losses.push(r.dLoss, r.gLoss);
            counts.push(tf.memory().numTensors);
          },
        });
        assert.equal(result.steps, 3);
        assert.equal(conditionalClasses(result.models!.generator), 3);
        assert.equal(
          result.models!.generator.name,
          architecture === 'dcgan' ? 'dcgan_generator' : 'sn_resnet_generator',
        );
        assert.ok(losses.every(Number.isFinite));
        assert.ok(
          counts.every((c) => c === counts[0]),
          `tensor counts ${counts.join(', ')}`,
        );
        result.models!.generator.dispose();
        result.models!.discriminator.dispose();
        result.optimizers!.generator.dispose();
        result.optimizers!.discriminator.dispose();
        return losses;
      };
      const a = await run();
      assert.deepEqual(await run(), a);
    });
  }

  it('uses the labels: other classes give other losses', async () => {
    const tf = await getTf();
    const losses = async (cls: (i: number) => unknown, float64 = false) => {
      const source = pairs(2, cls);
      // batch() collates numeric labels (decoded cls) into a Float64Array.
      const asFloat64 = async function* () {
        for await (const p of source) {
          const real = { ...p.real, cls: Float64Array.from(p.real.cls as number[]) };
          yield { real, negative: { ...p.negative, cls: real.cls } };
        }
      };
      const result = await trainNdaGan(tf, float64 ? asFloat64() : source, {
        architecture: 'sn-resnet',
        ch: 4,
        classes: 3,
        z: 8,
        dStepsPerG: 2,
        seed: 2,
      });
      const l = result.lastLosses;
      result.models!.generator.dispose();
      result.models!.discriminator.dispose();
      return l;
    };
    const a = await losses((i) => i % 3);
    assert.deepEqual(await losses((i) => `${i % 3}`), a, 'numbers, strings and Buffers read alike');
    assert.deepEqual(await losses((i) => i % 3, true), a, 'a Float64Array reads alike');
    assert.notDeepEqual(await losses((i) => (i + 1) % 3), a);
  });

  it('checkpoints conditional SN-ResNet models that load into fresh ones', async () => {
    const tf = await getTf();
    const dir = tempDir();
    const models = createSnResnetGan(tf, { z: 8, ch: 4, size: 8, channels: 1, classes: 3, seed: 1 });
    await trainNdaGan(tf, pairs(2), {
      models,
      dStepsPerG: 2,
      seed: 4,
      runDir: dir,
      checkpointEvery: 1,
      labelField: 'cls',
    });
    const fresh = createSnResnetGan(tf, { z: 8, ch: 4, size: 8, channels: 1, classes: 3, seed: 99 });
    const optimizers = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };
    const loaded = await loadCheckpoint(tf, dir, { models: fresh, optimizers });
    assert.equal(loaded.step, 1);
    const [a, b] = [models.discriminator.getWeights(), fresh.discriminator.getWeights()];
    for (let i = 0; i < a.length; i++) assert.deepEqual(await b[i]!.data(), await a[i]!.data());
    for (const m of [models.generator, models.discriminator, fresh.generator, fresh.discriminator]) m.dispose();
  });

  it('refuses labels outside [0, classes) with a SampleError naming the sample, and checks its options', async () => {
    const tf = await getTf();
    const models = createSnResnetGan(tf, { z: 8, ch: 4, size: 8, channels: 1, classes: 3 });
    await assert.rejects(
      trainNdaGan(
        tf,
        pairs(2, (i) => (i === 1 ? 'x7' : 1)),
        { models },
      ),
      (error: unknown) => {
        assert.ok(error instanceof SampleError);
        assert.equal(error.key, 'b0');
        assert.equal(error.field, 'cls');
        assert.match(error.message, /must be an integer in \[0, 3\): it is "x7"/);
        return true;
      },
    );
    await assert.rejects(
      trainNdaGan(tf, pairs(2), { models, labelField: 'label' }),
      /field "label" must hold 2 labels/,
    );
    await assert.rejects(
      trainNdaGan(tf, pairs(1), { models, classes: 4 }),
      /classes must be the models' 3: current value is 4/,
    );
    await assert.rejects(
      trainNdaGan(tf, pairs(1), { architecture: 'resnet' as never }),
      /architecture must be one of dcgan, sn-resnet, biggan: current value is "resnet"/,
    );
    models.generator.dispose();
    models.discriminator.dispose();
  });
});
