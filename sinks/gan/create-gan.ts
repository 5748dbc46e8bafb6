import type * as TFJS from '@tensorflow/tfjs';
import { rangeError } from '../../sources/errors.js';
import { createBigGan } from './biggan.js';
import { createDcgan, type Dcgan } from './dcgan.js';
import type { GanShapeOptions } from './gan-shape.js';
import { createSnResnetGan } from './sn-resnet.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CREATE_GAN_KEYS = optionKeys<GanShapeOptions>({
  z: true,
  ch: true,
  size: true,
  channels: true,
  classes: true,
  seed: true,
});

/** The network pairs {@link createGan} builds: `dcgan`, `sn-resnet` (Miyato et al.) and `biggan` (BigGAN-32). */
export const GAN_ARCHITECTURES = ['dcgan', 'sn-resnet', 'biggan'] as const;
/** One of {@link GAN_ARCHITECTURES}. */
export type GanArchitecture = (typeof GAN_ARCHITECTURES)[number];

/**
 * The GAN pair of one architecture, by name (the trainer's, the pipelines' and the benchmark's one
 * model factory): `dcgan` -> `createDcgan`, `sn-resnet` -> `createSnResnetGan`, `biggan` ->
 * `createBigGan` (where `ch` is BigGAN's width multiplier: 4 * ch channels). Deterministic given
 * `options.seed`.
 *
 * @example
 * const { generator, discriminator } = createGan(tf, 'biggan', { ch: 16, size: 32, classes: 10, seed: 1 });
 * @throws RangeError for an unknown architecture, or the builder's errors for a bad option.
 */
export function createGan(tf: typeof TFJS, architecture: GanArchitecture, options: GanShapeOptions = {}): Dcgan {
  checkOptionKeys('createGan', options, CREATE_GAN_KEYS);
  switch (architecture) {
    case 'dcgan':
      return createDcgan(tf, options);
    case 'sn-resnet':
      return createSnResnetGan(tf, options);
    case 'biggan':
      return createBigGan(tf, options);
    default:
      throw rangeError('create a GAN', `architecture must be one of ${GAN_ARCHITECTURES.join(', ')}`, architecture);
  }
}
