import type * as TFJS from '@tensorflow/tfjs';
import { join } from 'node:path';
import type { OperatorFunction } from 'rxjs';
import { batch } from '../operators/batch.js';
import { decode } from '../operators/decode.js';
import { ndaPairs } from '../operators/nda-pairs.js';
import { randomCrop } from '../operators/random-crop.js';
import { selectBackend, type BackendName } from '../sinks/backend/select-backend.js';
import type { GanPair } from '../sinks/gan/gan-trainer.js';
import { trainNdaGan } from '../sinks/gan/gan-trainer.js';
import { checkInteger, rangeError, typeError } from '../sources/errors.js';
import { fromShards } from '../sources/from-shards.js';
import { createLoader } from '../sources/loader.js';
import { deriveSeed, freshSeed } from '../sources/random.js';
import { embeddedShards } from './internal/embedded-shards.js';
import { PipelineError } from './pipeline-error.js';
import type { Pipeline, PipelineResult, PipelineRunOptions } from './pipeline.js';

/** The `nda` values of {@link fmnistGan}: `none` trains the plain hinge GAN (alpha 1, beta 0). */
export const FMNIST_GAN_NDA = ['none', 'jigsaw', 'stitch', 'mixup', 'cutout', 'cutmix'] as const;

/** Default sample shuffle buffer of {@link fmnistGan}. */
const SHUFFLE = 1000;
/** Default batch size of {@link fmnistGan}. */
const BATCH = 64;
/** Default generator steps of {@link fmnistGan}. */
const STEPS = 200;
const ACTION = 'run fmnist-gan';

/**
 * The NDA-GAN pipeline (`ndaflow run fmnist-gan --nda jigsaw --steps 20 --seed 1`): the embedded
 * Fashion-MNIST training shards, shuffled (buffer 1000), decoded to greyscale, padded from 28 to 32 px
 * by the usual pad-and-crop augmentation (`randomCrop({size: 32, pad: 2})`), batched by 64 (full
 * batches only), paired with their NDA negatives (`ndaPairs`; `nda: 'none'` skips it and trains the
 * plain GAN: alpha 1, beta 0, the real batch standing in as the unused negative) and fed to
 * `trainNdaGan` (a 1-channel DCGAN) on the backend `selectBackend` chooses (printed at start), epochs
 * repeating until `steps` generator steps. Writes `metrics.jsonl` and a final checkpoint into `runDir`
 * (default `runs/fmnist-gan-<nda>-seed<seed>`). Options: `nda` (default 'jigsaw'), `steps` (default 200),
 * `backend`, `runDir`, `seed`, `handler`, `shards`, `epochs` (default: as many as the steps need),
 * `batchSize`, `shuffle`, `log` (losses every few steps). Deterministic given the seed and backend.
 * @throws RangeError/TypeError for a bad option (before reading anything); PipelineError (with the
 *   accounting so far) when the stream or the training fails.
 */
export const fmnistGan: Pipeline = {
  name: 'fmnist-gan',
  description: 'embedded Fashion-MNIST train -> shuffle -> decode(gray) -> pad to 32 -> batch(64) -> ndaPairs(--nda) -> NDA-GAN training (--steps)',
  async run(options: PipelineRunOptions): Promise<PipelineResult> {
    const nda = options.nda ?? 'jigsaw';
    if (!(FMNIST_GAN_NDA as readonly string[]).includes(nda)) throw rangeError(ACTION, `nda must be one of ${FMNIST_GAN_NDA.join(', ')}`, nda);
    const steps = checkInteger(ACTION, 'steps', options.steps ?? STEPS, 1);
    const batchSize = checkInteger(ACTION, 'batchSize', options.batchSize ?? BATCH, 1);
    const shuffle = checkInteger(ACTION, 'shuffle', options.shuffle ?? SHUFFLE, 0);
    const epochs = options.epochs === undefined ? Infinity : checkInteger(ACTION, 'epochs', options.epochs, 1);
    if (options.runDir !== undefined && (typeof options.runDir !== 'string' || options.runDir === '')) throw typeError(ACTION, 'runDir must be a non-empty string', options.runDir);
    const seed = options.seed === undefined ? freshSeed() : checkInteger(ACTION, 'seed', options.seed, 0, 0xffffffff);
    const log = options.log ?? (() => undefined);
    if (options.seed === undefined) log(`seed: ${seed} (fresh; pass --seed ${seed} to repeat this run)`);
    const runDir = options.runDir ?? join('runs', `fmnist-gan-${nda}-seed${seed}`);

    const chosen = await selectBackend({ backend: options.backend as BackendName | undefined });
    log(`backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`);
    const tf = (await import('@tensorflow/tfjs')) as typeof TFJS;

    const shards = options.shards ?? embeddedShards('fmnist', 'train');
    const source = fromShards(shards, { seed, shuffle, epochs, handler: options.handler, allowPipe: options.allowPipe });
    const stages: OperatorFunction<any, any>[] = [
      decode({ image: 'gray', handler: options.handler }),
      randomCrop({ size: 32, pad: 2, seed: deriveSeed(seed, 'crop'), handler: options.handler }),
      batch(batchSize, { partial: false }),
    ];
    if (nda !== 'none') stages.push(ndaPairs({ transforms: nda, seed: deriveSeed(seed, 'nda'), batchSize, handler: options.handler }));
    const it = createLoader<any>(source, ...stages).iterate();
    let batches = 0;
    async function* pairs(): AsyncGenerator<GanPair> {
      for await (const item of it) {
        batches++;
        options.onProgress?.(batches * batchSize, batches);
        yield nda === 'none' ? { real: item, negative: item } : (item as GanPair);
        if (options.signal?.aborted) return;
      }
    }

    const every = Math.max(1, Math.round(steps / 10));
    const start = performance.now();
    let trained: Awaited<ReturnType<typeof trainNdaGan>>;
    try {
      trained = await trainNdaGan(tf, pairs(), {
        ...(nda === 'none' ? { alpha: 1, beta: 0 } : {}),
        steps,
        seed: deriveSeed(seed, 'gan'),
        runDir,
        checkpointEvery: steps,
        loaderState: () => it.state(),
        onStep: (r) => {
          if (r.step % every === 0 || r.step === 1 || r.step === steps) {
            const sps = r.step / ((performance.now() - start) / 1000);
            log(`step ${r.step}/${steps}: dLoss ${r.dLoss.toFixed(4)} gLoss ${r.gLoss.toFixed(4)} (${r.msPerStep.toFixed(0)} ms, ${sps.toFixed(2)} steps/s)`);
          }
        },
      });
    } catch (err) {
      throw new PipelineError(fmnistGan.name, it.accounting(), err);
    }
    const seconds = (performance.now() - start) / 1000;
    const { models, optimizers, ema } = trained;
    if (models !== null) {
      models.generator.dispose();
      models.discriminator.dispose();
    }
    if (optimizers !== null) {
      optimizers.generator.dispose();
      optimizers.discriminator.dispose();
    }
    (ema as { dispose?: () => void } | null)?.dispose?.();
    const accounting = it.accounting();
    return {
      accounting,
      seed,
      samples: batches * batchSize,
      batches,
      seconds,
      aborted: options.signal?.aborted === true,
      details: {
        backend: `${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`,
        nda,
        steps: trained.steps,
        stepsPerSecond: Math.round((trained.steps / Math.max(seconds, 1e-9)) * 100) / 100,
        runDir,
        ...(trained.lastLosses !== null ? { dLoss: trained.lastLosses.dLoss, gLoss: trained.lastLosses.gLoss } : {}),
      },
    };
  },
};
