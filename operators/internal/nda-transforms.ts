import { rangeError } from '../../sources/errors.js';
import { cutmixTransform } from './nda-cutmix.js';
import { cutoutTransform } from './nda-cutout.js';
import { jigsawTransform } from './nda-jigsaw.js';
import { mixupTransform } from './nda-mixup.js';
import { noiseTransform } from './nda-noise.js';
import { shiftTransform } from './nda-shift.js';
import { stitchTransform } from './nda-stitch.js';
import type { NdaTransform } from './nda-transform.js';

/** The NDA transforms by name, each a factory from plain-JSON options. */
const FACTORIES: Readonly<Record<string, (options: object) => NdaTransform>> = {
  jigsaw: jigsawTransform,
  stitch: stitchTransform,
  mixup: mixupTransform,
  cutout: cutoutTransform,
  cutmix: cutmixTransform,
  shift: shiftTransform,
  noise: noiseTransform,
};

/** The registered transform names. */
export const NDA_TRANSFORM_NAMES: readonly string[] = Object.keys(FACTORIES);

/**
 * Builds an NDA transform from its registry name and plain-JSON options (as a worker thread does
 * from a task): `createNdaTransform(t.name, t.options)` rebuilds an equal transform from any
 * transform `t`. Options are validated as by the transform's factory.
 *
 * @throws RangeError for an unknown name; the factory's RangeError/TypeError for bad options.
 */
export function createNdaTransform(name: string, options: object = {}): NdaTransform {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (factory === undefined)
    throw rangeError('create an NDA transform', `the name must be one of ${NDA_TRANSFORM_NAMES.join(', ')}`, name);
  return factory(options);
}
