/**
 * The training half of the NDA-GAN experiment (README, "Experiment"): trains one DCGAN on real
 * Fashion-MNIST shards — every class, or one class for the one-class anomaly protocol — with the plain
 * hinge loss (`--nda none`: alpha 1, beta 0) or with NDA negatives (`--nda jigsaw`: alpha 0.25,
 * beta 0.75), and saves the final checkpoint (weights, optimizers, EMA, loader state) into `--out`.
 * A run whose final checkpoint is already there is not trained again.
 *
 *   node dist-test/experiments/train-fmnist-gan.js --shards 'DIR/train-{000000..000005}.tar' \
 *     --class 0|all --nda none|jigsaw --seed 1 --steps 400 --ch 32 --out runs/experiment/c0-jigsaw-s1
 *
 * The stream: shards shuffled (buffer 2000, seeded), the class kept (`cls`), decoded to greyscale,
 * padded 28 -> 32 by `randomCrop({size: 32, pad: 2})`, batched by 64, paired with NDA negatives, epochs
 * repeating; 4 D steps per G step; EMA of G (decay 0.999 from step 100, sized for short runs).
 * Every seed is derived from `--seed`.
 */
import type { Batch } from '../sources/sample.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { batch } from '../operators/batch.js';
import { decode } from '../operators/decode.js';
import { filterSamples } from '../operators/filter-samples.js';
import { ndaPairs } from '../operators/nda-pairs.js';
import { randomCrop } from '../operators/random-crop.js';
import { selectBackend } from '../sinks/backend/select-backend.js';
import { createDcgan } from '../sinks/gan/dcgan.js';
import { trainNdaGan, type GanPair } from '../sinks/gan/gan-trainer.js';
import { LATEST_POINTER, stepFolderName } from '../sinks/checkpoint/checkpoint-parts.js';
import { fromShards } from '../sources/from-shards.js';
import { createLoader, type LoaderStage } from '../sources/loader.js';
import { deriveSeed } from '../sources/random.js';
import { createGanOptimizers } from '../sinks/gan/gan-optimizers.js';

const { values } = parseArgs({
  options: {
    shards: { type: 'string' },
    class: { type: 'string', default: 'all' },
    nda: { type: 'string', default: 'jigsaw' },
    seed: { type: 'string', default: '1' },
    steps: { type: 'string', default: '400' },
    ch: { type: 'string', default: '32' },
    out: { type: 'string' },
  },
});

function integer(name: string, text: string | undefined, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new RangeError(`Cannot train as --${name} must be an integer in [${min}, ${max}]: current value is ${text}`);
  return n;
}

async function main(): Promise<void> {
  if (values.shards === undefined || values.out === undefined)
    throw new TypeError('Cannot train as --shards and --out are required: current value is missing');
  const nda = values.nda;
  if (nda !== 'none' && nda !== 'jigsaw')
    throw new RangeError(`Cannot train as --nda must be none or jigsaw: current value is ${nda}`);
  const normalClass = values.class === 'all' ? null : integer('class', values.class, 0, 9);
  const seed = integer('seed', values.seed, 0, 0xffffffff);
  const steps = integer('steps', values.steps, 1, 1e7);
  const ch = integer('ch', values.ch, 1, 1024);
  const out = values.out;
  if (existsSync(join(out, stepFolderName(steps))) && existsSync(join(out, LATEST_POINTER))) {
    console.log(`${out}: step ${steps} already trained, nothing to do`);
    return;
  }
  const chosen = await selectBackend({});
  console.log(`backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`);
  const tf = await import('@tensorflow/tfjs');

  const source = fromShards(values.shards, { seed: deriveSeed(seed, 'shards'), shuffle: 2000, epochs: Infinity });
  const stages: LoaderStage[] = [];
  if (normalClass !== null)
    stages.push(
      filterSamples((s: Record<string, unknown>) => Number(String(s.cls)) === normalClass, { reason: 'other-class' }),
    );
  stages.push(
    decode({ image: 'gray' }),
    randomCrop({ size: 32, pad: 2, seed: deriveSeed(seed, 'crop') }),
    batch(64, { partial: false }),
  );
  if (nda !== 'none') stages.push(ndaPairs({ transforms: nda, seed: deriveSeed(seed, 'nda'), batchSize: 64 }));
  const it = createLoader<unknown>(source, stages).iterate();
  async function* pairs(): AsyncGenerator<GanPair> {
    for await (const item of it)
      yield nda === 'none' ? { real: item as Batch, negative: item as Batch } : (item as GanPair);
  }
  const models = createDcgan(tf, { z: 128, ch, size: 32, channels: 1, seed: deriveSeed(seed, 'weights') });
  const start = performance.now();
  const every = Math.max(1, Math.round(steps / 20));
  const trained = await trainNdaGan(tf, pairs(), {
    models,
    optimizers: createGanOptimizers(tf),
    ...(nda === 'none' ? { alpha: 1, beta: 0 } : { alpha: 0.25, beta: 0.75 }),
    dStepsPerG: 4,
    steps,
    seed: deriveSeed(seed, 'gan'),
    ema: { decay: 0.999, start: 100 },
    runDir: out,
    checkpointEvery: steps,
    loaderState: () => it.state(),
    onStep: (r) => {
      if (r.step % every === 0 || r.step === 1) {
        const eta = (((performance.now() - start) / r.step) * (steps - r.step)) / 1000;
        console.log(
          `${out} step ${r.step}/${steps}: dLoss ${r.dLoss.toFixed(4)} gLoss ${r.gLoss.toFixed(4)} ${r.msPerStep.toFixed(0)} ms/step, ETA ${eta.toFixed(0)} s`,
        );
      }
    },
  });
  console.log(
    `${out}: ${trained.steps} steps in ${((performance.now() - start) / 1000).toFixed(1)} s; accounting ${JSON.stringify(it.accounting())}`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
