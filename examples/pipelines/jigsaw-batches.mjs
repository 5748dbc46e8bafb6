// A user pipeline in one file (README "Declaring a pipeline"). Run it like a registered one:
//   npx ndaflow run ./jigsaw-batches.mjs --help
//   npx ndaflow run ./jigsaw-batches.mjs --shards 'shards/fmnist/train-{000000..000005}.tar' --k 4 --seed 1
//   npx ndaflow run ./jigsaw-batches.mjs --resume --run-dir runs/jigsaw-batches-seed1   # after Ctrl-C
import { batch, createLoader, decode, fromShards, jigsaw } from 'ndaflow';
import { commonOptions, definePipeline, intOption } from 'ndaflow/pipelines';

export default definePipeline({
  name: 'jigsaw-batches',
  summary: 'shards -> shuffle -> decode(gray) -> batch -> jigsaw negatives (k x k tiles)',
  // the helper adds --seed, --run-dir and --resume, writes config.json and report.html,
  // and keeps the loader's state so that --resume continues exactly where a run stopped
  runFolder: true,
  options: {
    shards: commonOptions.shards.asRequired(),
    handler: commonOptions.handler,
    shuffle: commonOptions.shuffle.withDefault(500),
    batchSize: commonOptions.batchSize.withDefault(40),
    k: intOption({ default: 2, min: 2, help: 'jigsaw tiles per side (must divide the image side)' }),
  },
  run: (options, context) =>
    context.consume(
      createLoader(
        fromShards(options.shards, { seed: context.seed, shuffle: options.shuffle, handler: options.handler }),
        decode({ image: 'gray', handler: options.handler }),
        batch(options.batchSize, { partial: false }),
        jigsaw({ k: options.k, seed: context.seed, handler: options.handler }),
      ),
    ),
});
