import { existsSync } from 'node:fs';
import { randomFlip } from '../operators/random-flip.js';
import { deriveSeed } from '../sources/random.js';
import { definePipeline } from './define-pipeline.js';
import { ganPipelineOptions, runGanPipeline } from './internal/gan-pipeline.js';

/** Where `ndaflow prepare cifar10 cifar-10-binary.tar.gz` writes the training shards by default. */
export const CIFAR10_DEFAULT_SHARDS = 'shards/cifar10/train-{000000..000004}.tar';

/**
 * The NDA-GAN pipeline on CIFAR-10, for users who bring the dataset
 * (`ndaflow prepare cifar10 cifar-10-binary.tar.gz` first, then
 * `ndaflow run cifar10-gan --nda jigsaw --steps 10000 --seed 1`): the training shards (default
 * `shards/cifar10/train-{000000..000004}.tar`, what `prepare cifar10` writes; `--shards` for others),
 * shuffled (buffer 1000), decoded to RGB 32x32, flipped horizontally at random (seeded), batched by 64,
 * paired with NDA negatives and fed to the NDA-GAN trainer (3-channel DCGAN, 4 D steps per G step, EMA),
 * writing the same run folder and report as `fmnist-gan`; `--resume` continues a run. Options as
 * `fmnist-gan`'s (`ganPipelineOptions`) without `testShards` (no in-domain classifier for CIFAR-10).
 * @throws Error saying how to prepare the data when the default shards are missing; otherwise as `runGanPipeline`.
 */
export const cifar10Gan = definePipeline({
  name: 'cifar10-gan',
  options: ganPipelineOptions({ shards: CIFAR10_DEFAULT_SHARDS }),
  summary:
    'CIFAR-10 train shards (bring your own: ndaflow prepare cifar10) -> shuffle -> decode(rgb) -> flip -> batch(64) -> ndaPairs(--nda) -> NDA-GAN training -> report',
  run(options, context) {
    return runGanPipeline(
      {
        name: 'cifar10-gan',
        defaultShards: () => {
          if (!existsSync('shards/cifar10/train-000000.tar')) {
            throw new Error(
              `Cannot run cifar10-gan as its default shards ${CIFAR10_DEFAULT_SHARDS} do not exist: download cifar-10-binary.tar.gz yourself, run \`ndaflow prepare cifar10 cifar-10-binary.tar.gz\`, or pass --shards`,
            );
          }
          return CIFAR10_DEFAULT_SHARDS;
        },
        image: 'rgb',
        channels: 3,
        size: 32,
        augment: (seed, handler) => [randomFlip({ seed: deriveSeed(seed, 'flip'), handler })],
      },
      options,
      context,
    );
  },
});
