import { rangeError } from '../../sources/errors.js';
import { NDA_TRANSFORM_NAMES, createNdaTransform } from './nda-transforms.js';
import { frameReverseTransform } from './video-nda-reverse.js';
import { frameShuffleTransform } from './video-nda-shuffle.js';
import { spliceTransform } from './video-nda-splice.js';
import { staticClipTransform } from './video-nda-static.js';
import { framewiseTransform } from './video-nda-spatial.js';
import type { VideoNdaTransform } from './video-nda-transform.js';

/** The temporal video NDA transforms by name. */
const TEMPORAL: Readonly<Record<string, (options: object) => VideoNdaTransform>> = {
  shuffle: frameShuffleTransform,
  reverse: frameReverseTransform,
  splice: spliceTransform,
  static: staticClipTransform,
};

/** The registered names: the temporal ones (`shuffle`, `reverse`, `splice`, `static`), then every image NDA name, applied frame by frame. */
export const VIDEO_NDA_TRANSFORM_NAMES: readonly string[] = [...Object.keys(TEMPORAL), ...NDA_TRANSFORM_NAMES];

/**
 * Builds a video NDA transform from its registry name and plain-JSON options:
 * `createVideoNdaTransform(t.name, t.options)` rebuilds an equal transform from any transform `t`.
 * A temporal name gives the temporal transform; an image NDA name (`jigsaw`, `stitch`, `mixup`,
 * `cutout`, `cutmix`, `shift`, `noise`) gives that transform with the same options applied to every
 * frame of a clip consistently (see `framewiseTransform`).
 *
 * @throws RangeError for an unknown name; the factory's RangeError/TypeError for bad options.
 */
export function createVideoNdaTransform(name: string, options: object = {}): VideoNdaTransform {
  const temporal = Object.hasOwn(TEMPORAL, name) ? TEMPORAL[name] : undefined;
  if (temporal !== undefined) return temporal(options);
  if (NDA_TRANSFORM_NAMES.includes(name)) return framewiseTransform(createNdaTransform(name, options));
  throw rangeError(
    'create a video NDA transform',
    `the name must be one of ${VIDEO_NDA_TRANSFORM_NAMES.join(', ')}`,
    name,
  );
}
