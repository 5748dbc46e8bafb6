import { join } from 'node:path';
import { batch } from '../operators/batch.js';
import { decode } from '../operators/decode.js';
import { selectBackend } from '../sinks/backend/select-backend.js';
import { fileIoHandler } from '../sinks/checkpoint/file-io-handler.js';
import { evaluateClassifier } from '../sinks/eval/evaluate-classifier.js';
import type { LabelledBatch } from '../sinks/eval/labelled-batch.js';
import { trainFmnistClassifier } from '../sinks/eval/train-fmnist-classifier.js';
import { typeError } from '../sources/errors.js';
import { fromShards } from '../sources/from-shards.js';
import { createLoader } from '../sources/loader.js';
import { deriveSeed, freshSeed } from '../sources/random.js';
import type { Batch, ImageBatch } from '../sources/sample.js';
import { embeddedShards } from './internal/embedded-shards.js';
import { PipelineError } from './pipeline-error.js';
import { commonOptions, readOptions } from './common-options.js';
import { definePipeline } from './define-pipeline.js';
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
 * `shards` is not given (`fmnistTestShards`). Prints `testAccuracy` and `testSamples`. Options
 * (`ndaflow run fmnist-classifier --help`): `seed`, `shards`, `testShards`, `epochs`, `batchSize`, `shuffle`,
 * `backend`, `runDir` (default `runs/fmnist-classifier-seed<seed>`), `handler`, `allowPipe`.
 * Deterministic given the seed and backend.
 * @throws RangeError/TypeError for a bad option (before training); PipelineError (with the accounting
 *   so far) when the stream or the training fails.
 */
export const fmnistClassifier = definePipeline({
  name: 'fmnist-classifier',
  options: {
    ...readOptions,
    shards: commonOptions.shards.with({ defaultText: 'the embedded Fashion-MNIST train shards' }),
    testShards: commonOptions.testShards.with({
      defaultText: 'the test-NNNNNN.tar beside --shards, or the embedded ones',
    }),
    epochs: commonOptions.epochs.withDefault(EPOCHS),
    batchSize: commonOptions.batchSize.withDefault(BATCH),
    shuffle: commonOptions.shuffle.withDefault(SHUFFLE),
    backend: commonOptions.backend,
    runDir: commonOptions.runDir.with({ defaultText: 'runs/fmnist-classifier-seed<seed>' }),
  },
  summary:
    'Fashion-MNIST train -> shuffle -> decode(gray) -> batch(64) -> train the 32x32 evaluation CNN (--epochs, default 1) -> test accuracy -> save to <run-dir>/classifier',
  async run(options, context) {
    const { epochs, batchSize, shuffle } = options;
    const seed = options.seed ?? freshSeed();
    const log = context.log;
    if (options.seed === undefined) log(`seed: ${seed} (fresh; pass --seed ${seed} to repeat this run)`);
    const runDir = options.runDir ?? join('runs', `fmnist-classifier-seed${seed}`);
    const trainShards = options.shards ?? embeddedShards('fmnist', 'train');
    const testShards = fmnistTestShards(ACTION, options.shards, options.testShards);

    const chosen = await selectBackend({ backend: options.backend });
    log(`backend: ${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`);
    const tf = await import('@tensorflow/tfjs');

    const read = { handler: options.handler, allowPipe: options.allowPipe };
    const train = createLoader(
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
        context.onProgress?.(samples, batches);
        yield lb;
      }
    }

    const start = performance.now();
    let trained: Awaited<ReturnType<typeof trainFmnistClassifier>>;
    try {
      trained = await trainFmnistClassifier(tf, trainBatches(), {
        seed: deriveSeed(seed, 'classifier'),
        signal: context.signal,
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
      const test = createLoader(
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
        aborted: context.signal?.aborted === true,
        results: { testAccuracy: score.accuracy },
        details: {
          backend: `${chosen.name} (${chosen.reason}), ${chosen.threads} thread(s)`,
          epochs,
          trainSteps: trained.steps,
          trainSeconds: Math.round(trainSeconds * 10) / 10,
          lastLoss: trained.lastLoss,
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
});
