import { batch } from '../operators/batch.js';
import { decode } from '../operators/decode.js';
import { checkInteger } from '../sources/errors.js';
import { fromShards } from '../sources/from-shards.js';
import { createLoader, type LoaderStage } from '../sources/loader.js';
import { embeddedShards } from './internal/embedded-shards.js';
import { PipelineError } from './pipeline-error.js';
import type { Pipeline, PipelineResult, PipelineRunOptions } from './pipeline.js';

/** Default sample shuffle buffer of {@link fmnistStream}. */
const SHUFFLE = 1000;
/** Default batch size of {@link fmnistStream}. */
const BATCH = 64;

/**
 * The default pipeline (`ndaflow run`, `ndaflow run default`): streams the embedded Fashion-MNIST
 * training shards (`data/fmnist/train-*.tar.gz`, resolved from the package root) with shard and
 * sample shuffling (buffer 1000), decodes them (`decode`), batches them by 64 (last batch partial)
 * and reports the loader's accounting and the throughput. Options: `shards` (other shards),
 * `seed`, `handler`, `epochs`, `batchSize`, `shuffle`. Deterministic given the seed.
 * @throws PipelineError (with the accounting so far) when the stream fails, e.g. a bad sample under `reraise`.
 */
export const fmnistStream: Pipeline = {
  name: 'fmnist-stream',
  description: 'embedded Fashion-MNIST train shards -> shuffle(1000) -> decode -> batch(64): accounting and throughput',
  async run(options: PipelineRunOptions): Promise<PipelineResult> {
    const batchSize = checkInteger('run fmnist-stream', 'batchSize', options.batchSize ?? BATCH, 1);
    const shuffle = checkInteger('run fmnist-stream', 'shuffle', options.shuffle ?? SHUFFLE, 0);
    const shards = options.shards ?? embeddedShards('fmnist', 'train');
    const source = fromShards(shards, {
      seed: options.seed,
      shuffle,
      epochs: options.epochs ?? 1,
      handler: options.handler,
      allowPipe: options.allowPipe,
    });
    const stages: LoaderStage[] = [decode({ handler: options.handler }), batch(batchSize, { partial: true })];
    const it = createLoader<{ __key__: string | string[] }>(source, ...stages).iterate();
    const start = performance.now();
    let samples = 0;
    let batches = 0;
    let aborted = false;
    try {
      for await (const item of it) {
        batches++;
        samples += Array.isArray(item.__key__) ? item.__key__.length : 1;
        options.onProgress?.(samples, batches);
        if (options.signal?.aborted) {
          aborted = true;
          break;
        }
      }
    } catch (err) {
      throw new PipelineError(fmnistStream.name, it.accounting(), err);
    }
    return {
      accounting: it.accounting(),
      seed: source.seed,
      samples,
      batches,
      seconds: (performance.now() - start) / 1000,
      aborted,
    };
  },
};
