import { join } from 'node:path';
import { batch } from '../operators/batch.js';
import { decode } from '../operators/decode.js';
import { selectBackend, type BackendName } from '../sinks/backend/select-backend.js';
import { fileIoHandler } from '../sinks/checkpoint/file-io-handler.js';
import { evaluateClassifier } from '../sinks/eval/evaluate-classifier.js';
import type { LabelledBatch } from '../sinks/eval/labelled-batch.js';
import { trainFmnistClassifier } from '../sinks/eval/train-fmnist-classifier.js';
import { checkInteger, typeError } from '../sources/errors.js';
import { fromShards } from '../sources/from-shards.js';
import { createLoader } from '../sources/loader.js';
import { deriveSeed, freshSeed } from '../sources/random.js';
import type { Batch, ImageBatch } from '../sources/sample.js';
import { embeddedShards } from './internal/embedded-shards.js';
import { PipelineError } from './pipeline-error.js';
import type { Pipeline, PipelineResult, PipelineRunOptions } from './pipeline.js';
import { fmnistTestShards } from './internal/fmnist-test-shards.js';

/** Default epochs of {@link fmnistClassifier}. */
const EPOCHS = 1;
/** Default batch size of {@link fmnistClassifier}. */
const BATCH = 64;
/** Default sample shuffle buffer of {@link fmnistClassifier}. */
const SHUFFLE = 2000;
/** Batch size of the test pass. */
const TEST_BATCH = 500;
const ACTION = 'run fmnist-classifier';

/** A loader batch of decoded Fashion-MNIST samples as a {@link LabelledBatch}. */
function labelled(b: Batch): LabelledBatch {
  const images = b['png'] as ImageBatch;
  const cls = b['cls'];
  if (!(cls instanceof Float64Array)) throw typeError(ACTION, 'every sample must have a numeric cls field', typeof cls);
  return { images, labels: Int32Array.from(cls) };
}

/**
 * Trains the in-domain feature extractor of the evaluation (`ndaflow run fmnist-classifier --shards
 * 'DIR/train-{000000..000005}.tar' --run-dir DIR`): Fashion-MNIST training shards (default the embedded
 * ones), shuffled (buffer 2000), decoded to greyscale, batched by 64, train `trainFmnistClassifier`
 * (the 32x32 CNN of `createFmnistClassifier`, 28 px images padded with black to 32, Adam 1e-3) for
 * `epochs` (default 1) passes, then scores it on the test split and saves it with `fileIoHandler`
 * into `<runDir>/classifier` (`model.json` + `weights.bin`; load it with `loadFmnistClassifier`).
 * The test shards are `testShards` when given, else every `test-NNNNNN.tar[.gz]` in the folder of the
 * training shards (as `ndaflow prepare fashion-mnist` lays them out), or the embedded test shards when
 * `shards` is not given (`fmnistTestShards`). Prints `testAccuracy` and `testSamples`. Options: `seed`, `shards`, `epochs`, `batchSize`,
 * `shuffle`, `backend`, `runDir` (default `runs/fmnist-classifier-seed<seed>`), `handler`, `log`, `signal`.
 * Deterministic given the seed and backend.
 * @throws RangeError/TypeError for a bad option (before training); PipelineError (with the accounting
 *   so far) when the stream or the training fails.
 */
export const fmnistClassifier: Pipeline = {
  name: 'fmnist-classifier',
  description:
    'Fashion-MNIST train -> shuffle -> decode(gray) -> batch(64) -> train the 32x32 evaluation CNN (--epochs, default 1) -> test accuracy -> save to <run-dir>/classifier',
  async run(options: PipelineRunOptions): Promise<PipelineResult> {
    const epochs = checkInteger(ACTION, 'epochs', options.epochs ?? EPOCHS, 1);
    const batchSize = checkInteger(ACTION, 'batchSize', options.batchSize ?? BATCH, 1);
    const shuffle = checkInteger(ACTION, 'shuffle', options.shuffle ?? SHUFFLE, 0);
    if (options.runDir !== undefined && (typeof options.runDir !== 'string' || options.runDir === ''))
      throw typeError(ACTION, 'runDir must be a non-empty string', options.runDir);
    const seed = options.seed === undefined ? freshSeed() : checkInteger(ACTION, 'seed', options.seed, 0, 0xffffffff);
    const log = options.log ?? (() => undefined);
    if (options.seed === undefined) log(`seed: ${seed} (fresh; pass --seed ${seed} to repeat this run)`);
    const runDir = options.runDir ?? join('runs', `fmnist-classifier-seed${seed}`);
    const trainShards = options.shards ?? embeddedShards('fmnist', 'train');
    const testShards = fmnistTestShards(ACTION, options.shards, options.testShards);

    const chosen = await selectBackend({ backend: options.backend as BackendName | undefined });
    log(`backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`);
    const tf = await import('@tensorflow/tfjs');

    const read = { handler: options.handler, allowPipe: options.allowPipe };
    const train = createLoader<Batch>(
      fromShards(trainShards, { seed: deriveSeed(seed, 'train'), shuffle, epochs, ...read }),
      decode({ image: 'gray', handler: options.handler }),
      batch(batchSize),
    ).iterate();
    let batches = 0;
    let samples = 0;
    async function* trainBatches(): AsyncGenerator<LabelledBatch> {
      for await (const b of train) {
        const lb = labelled(b);
        batches++;
        samples += lb.labels.length;
        options.onProgress?.(samples, batches);
        yield lb;
      }
    }

    const start = performance.now();
    let trained: Awaited<ReturnType<typeof trainFmnistClassifier>>;
    try {
      trained = await trainFmnistClassifier(tf, trainBatches(), {
        seed: deriveSeed(seed, 'classifier'),
        signal: options.signal,
        onProgress: (p) => {
          if (p.step % 100 === 0)
            log(
              `step ${p.step}: ${p.samples} samples, loss ${p.loss.toFixed(4)} (${(p.samples / ((performance.now() - start) / 1000)).toFixed(0)} samples/s)`,
            );
        },
      });
    } catch (err) {
      throw new PipelineError(fmnistClassifier.name, train.accounting(), err);
    }
    const trainSeconds = (performance.now() - start) / 1000;
    const modelDir = join(runDir, 'classifier');
    try {
      const test = createLoader<Batch>(
        fromShards(testShards, { seed: deriveSeed(seed, 'test'), shuffle: 0, ...read }),
        decode({ image: 'gray', handler: options.handler }),
        batch(TEST_BATCH),
      ).iterate();
      async function* testBatches(): AsyncGenerator<LabelledBatch> {
        for await (const b of test) yield labelled(b);
      }
      const score = await evaluateClassifier(tf, trained.classifier, testBatches());
      log(`test accuracy: ${(score.accuracy * 100).toFixed(2)}% on ${score.n} images`);
      await trained.classifier.save(fileIoHandler(tf, modelDir));
      log(`saved: ${modelDir}`);
      return {
        accounting: train.accounting(),
        seed,
        samples,
        batches,
        seconds: (performance.now() - start) / 1000,
        aborted: options.signal?.aborted === true,
        details: {
          backend: `${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`,
          epochs,
          trainSteps: trained.steps,
          trainSeconds: Math.round(trainSeconds * 10) / 10,
          lastLoss: trained.lastLoss,
          testAccuracy: score.accuracy,
          testSamples: score.n,
          modelDir,
        },
      };
    } catch (err) {
      throw new PipelineError(fmnistClassifier.name, train.accounting(), err);
    } finally {
      trained.classifier.dispose();
    }
  },
};
