/**
 * `npm run bench:train-step [-- --backend wasm|cpu|tensorflow|tensorflow-gpu] [--steps N] [--threads N]`:
 * milliseconds per full NDA-GAN step (D update on [x, G(z), jigsaw(x)], then G update) for the
 * issue's DCGAN (batch 64, 32x32x3, ch 64, z 128) on the chosen backend, after one warm-up step.
 * Per-step times, the thread count and the wasm kernels go to stderr; the last stdout line is exactly
 * `{"backend": NAME, "step_ms": N}` (median of the measured steps, ms).
 */
import type * as TFJS from '@tensorflow/tfjs';
import { countTrainableParams, createDcgan } from '../sinks/gan/dcgan.js';
import { ndaGanStep } from '../sinks/gan/hinge-nda-step.js';
import { createNdaTransform } from '../operators/internal/nda-transforms.js';
import { Random } from '../sources/random.js';
import { pixelsToTensor } from '../sinks/internal/pixels-to-tensor.js';
import { round } from './measure.js';
import { median, parseStepBenchArgs, startStepBench } from './tf-step-bench.js';

const BATCH = 64;
const SIZE = 32;
const CHANNELS = 3;
const Z = 128;

async function main(): Promise<void> {
  const args = parseStepBenchArgs(process.argv.slice(2));
  const { tf, backend: chosen } = await startStepBench(args);

  const models = createDcgan(tf, { z: Z, ch: 64, size: SIZE, channels: CHANNELS });
  process.stderr.write(
    `G: ${countTrainableParams(models.generator)} parameters, D: ${countTrainableParams(models.discriminator)}\n`,
  );
  const optimizers = { generator: tf.train.adam(2e-4, 0, 0.999), discriminator: tf.train.adam(2e-4, 0, 0.999) };

  // Real batch: random images in [0, 255]; negatives: their jigsaw (k=2), as the data pipeline makes them.
  const rng = Random.derive(0, 'bench-train-step');
  const pixels = new Uint8Array(BATCH * SIZE * SIZE * CHANNELS);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.int(0, 255);
  const shape = [BATCH, SIZE, SIZE, CHANNELS] as const;
  const keys = Array.from({ length: BATCH }, (_, i) => `bench-${i}`);
  const jig = createNdaTransform('jigsaw', {}).apply({ data: pixels, shape }, { seed: 0, epoch: 0, keys });
  const real = pixelsToTensor(tf, 'make the benchmark batch', pixels, shape) as TFJS.Tensor4D;
  const negative = pixelsToTensor(tf, 'make the benchmark batch', jig.images.data, shape) as TFJS.Tensor4D;

  const times: number[] = [];
  for (let step = 0; step <= args.steps; step++) {
    const z = tf.randomNormal<TFJS.Rank.R2>([BATCH, Z], 0, 1, 'float32', 2 * step);
    const zG = tf.randomNormal<TFJS.Rank.R2>([BATCH, Z], 0, 1, 'float32', 2 * step + 1);
    const start = performance.now();
    const losses = await ndaGanStep(tf, models, optimizers, { real, negative, z, zG });
    const ms = performance.now() - start;
    tf.dispose([z, zG]);
    process.stderr.write(
      `${step === 0 ? 'warm-up' : `step ${step}`}: ${round(ms)} ms (dLoss ${round(losses.dLoss, 4)}, gLoss ${round(losses.gLoss, 4)}, tensors ${tf.memory().numTensors})\n`,
    );
    if (step > 0) times.push(ms);
  }
  const stepMs = round(median(times), 1);
  process.stderr.write(
    `median of ${times.length} step(s): ${stepMs} ms on ${chosen.name} with ${chosen.threads} thread(s)\n`,
  );
  console.log(JSON.stringify({ backend: chosen.name, step_ms: stepMs }));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
