import { definePipeline } from './define-pipeline.js';
import { cifarDefaultShards, cifarGanOptions, cifarGanSpec } from './internal/cifar-gan-spec.js';
import { ganPipelineOptions, runGanPipeline } from './internal/gan-pipeline.js';

/** Where `ndaflow prepare cifar100 cifar-100-binary.tar.gz` writes the training shards by default. */
export const CIFAR100_DEFAULT_SHARDS = cifarDefaultShards('cifar100');

/**
 * The class-conditional NDA-GAN pipeline on CIFAR-100 (the paper's third GAN benchmark; bring the
 * dataset: `ndaflow prepare cifar100 cifar-100-binary.tar.gz`, then
 * `ndaflow run cifar100-gan --preset paper --seed 2`): as `cifar10-gan`, but conditional by default
 * (`--no-conditional` for an unconditional run) on as many classes as the training shards' `cls`
 * labels span (the fine labels `prepare cifar100` writes: 100), counted in one pass before training.
 * Options: `ganPipelineOptions` (`--preset paper` included), without `testShards` (no FID).
 * @throws Error saying how to prepare the data when the default shards are missing; otherwise as `runGanPipeline`.
 */
export const cifar100Gan = definePipeline({
  name: 'cifar100-gan',
  options: ganPipelineOptions(cifarGanOptions('cifar100', true)),
  summary:
    'CIFAR-100 train shards (bring your own: ndaflow prepare cifar100) -> shuffle -> decode(rgb) -> flip -> batch(64) -> ndaPairs(--nda) -> class-conditional NDA-GAN training -> report',
  run(options, context) {
    return runGanPipeline(cifarGanSpec('cifar100-gan', 'cifar100', 'cifar-100-binary.tar.gz'), options, context);
  },
});
