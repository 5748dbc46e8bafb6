import { existsSync } from 'node:fs';
import { randomFlip } from '../../operators/random-flip.js';
import { deriveSeed } from '../../sources/random.js';
import type { GanOptionsDescription, GanPipelineSpec } from './gan-pipeline.js';

/**
 * What `cifar10-gan` and `cifar100-gan` share: the training shards `prepare cifar10|cifar100` writes
 * (`shards/<variant>/train-{000000..000004}.tar`), RGB 32 px images, a seeded horizontal flip that
 * `--no-flip` (and `--preset paper`, as the official runs) turns off, and the option descriptions.
 */
export function cifarGanSpec(name: string, variant: 'cifar10' | 'cifar100', tarball: string): GanPipelineSpec {
  const shards = cifarDefaultShards(variant);
  return {
    name,
    defaultShards: () => {
      if (!existsSync(`shards/${variant}/train-000000.tar`)) {
        throw new Error(
          `Cannot run ${name} as its default shards ${shards} do not exist: download ${tarball} yourself, run \`ndaflow prepare ${variant} ${tarball}\`, or pass --shards`,
        );
      }
      return shards;
    },
    image: 'rgb',
    channels: 3,
    size: 32,
    augment: (seed, handler, on) => (on ? [randomFlip({ seed: deriveSeed(seed, 'flip'), handler })] : []),
    augmentation: { on: 'random horizontal flip', off: 'none', flag: 'flip' },
  };
}

/** Where `ndaflow prepare <variant>` writes the training shards by default. */
export function cifarDefaultShards(variant: 'cifar10' | 'cifar100'): string {
  return `shards/${variant}/train-{000000..000004}.tar`;
}

/** The options' description of a CIFAR GAN pipeline (no test shards: no in-domain classifier for FID). */
export function cifarGanOptions(variant: 'cifar10' | 'cifar100', conditional: boolean): GanOptionsDescription {
  return {
    shards: cifarDefaultShards(variant),
    augmentation: {
      flag: 'flip',
      help: 'random horizontal flips of the training images, seeded (the official runs have none)',
    },
    conditional,
  };
}
