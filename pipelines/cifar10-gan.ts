import { definePipeline } from './define-pipeline.js';
import { cifarDefaultShards, cifarGanOptions, cifarGanSpec } from './internal/cifar-gan-spec.js';
import { ganPipelineOptions, runGanPipeline } from './internal/gan-pipeline.js';

/** Where `ndaflow prepare cifar10 cifar-10-binary.tar.gz` writes the training shards by default. */
export const CIFAR10_DEFAULT_SHARDS = cifarDefaultShards('cifar10');

/**
 * The NDA-GAN pipeline on CIFAR-10, for users who bring the dataset
 * (`ndaflow prepare cifar10 cifar-10-binary.tar.gz` first, then
 * `ndaflow run cifar10-gan --nda jigsaw --steps 10000 --seed 1`, or the paper's run:
 * `ndaflow run cifar10-gan --preset paper --seed 2 [--conditional]`): the training shards (default
 * `shards/cifar10/train-{000000..000004}.tar`, what `prepare cifar10` writes; `--shards` for others),
 * shuffled (buffer 1000), decoded to RGB 32x32, flipped horizontally at random (seeded; `--no-flip`),
 * batched by 64, paired with NDA negatives and fed to the NDA-GAN trainer (3-channel DCGAN by default,
 * 4 D steps per G step, EMA), writing the same run folder and report as `fmnist-gan`; `--resume`
 * continues a run. Options as `fmnist-gan`'s (`ganPipelineOptions`, `--preset paper` included) without
 * `testShards` (no in-domain classifier for CIFAR-10, so no FID).
 * @throws Error saying how to prepare the data when the default shards are missing; otherwise as `runGanPipeline`.
 */
export const cifar10Gan = definePipeline({
  name: 'cifar10-gan',
  options: ganPipelineOptions(cifarGanOptions('cifar10', false)),
  summary:
    'CIFAR-10 train shards (bring your own: ndaflow prepare cifar10) -> shuffle -> decode(rgb) -> flip -> batch(64) -> ndaPairs(--nda) -> NDA-GAN training -> report',
  run(options, context) {
    return runGanPipeline(cifarGanSpec('cifar10-gan', 'cifar10', 'cifar-10-binary.tar.gz'), options, context);
  },
});
