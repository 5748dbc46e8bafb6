import { batch } from '../operators/batch.js';
import { decode } from '../operators/decode.js';
import { fromShards } from '../sources/from-shards.js';
import { createLoader } from '../sources/loader.js';
import { commonOptions, readOptions } from './common-options.js';
import { definePipeline } from './define-pipeline.js';
import { embeddedShards } from './internal/embedded-shards.js';

/**
 * The default pipeline (`ndaflow run`, `ndaflow run default`): streams the embedded Fashion-MNIST
 * training shards (`data/fmnist/train-*.tar.gz`, resolved from the package root) with shard and
 * sample shuffling (buffer 1000), decodes them (`decode`), batches them by 64 (last batch partial)
 * and reports the loader's accounting and the throughput. Options: `shards` (other shards),
 * `seed`, `handler`, `allowPipe`, `epochs` (default 1), `batchSize` (default 64), `shuffle` (default
 * 1000); `ndaflow run fmnist-stream --help` lists them. Deterministic given the seed.
 * @throws RangeError/TypeError for an option it does not take or a bad value; PipelineError (with the
 *   accounting so far) when the stream fails, e.g. a bad sample under `reraise`.
 */
export const fmnistStream = definePipeline({
  name: 'fmnist-stream',
  summary: 'embedded Fashion-MNIST train shards -> shuffle(1000) -> decode -> batch(64): accounting and throughput',
  options: {
    ...readOptions,
    shards: commonOptions.shards.with({ defaultText: 'the embedded Fashion-MNIST train shards' }),
    epochs: commonOptions.epochs.withDefault(1),
    batchSize: commonOptions.batchSize.withDefault(64),
    shuffle: commonOptions.shuffle.withDefault(1000),
  },
  run(options, context) {
    const source = fromShards(options.shards ?? embeddedShards('fmnist', 'train'), {
      // the run's seed: the given one, or a fresh one that the run logs (`seed: N (fresh; ...)`)
      seed: context.seed,
      shuffle: options.shuffle,
      epochs: options.epochs,
      handler: options.handler,
      allowPipe: options.allowPipe,
    });
    const loader = createLoader(
      source,
      decode({ handler: options.handler }),
      batch(options.batchSize, { partial: true }),
    );
    return context.consume(loader, { seed: source.seed });
  },
});
