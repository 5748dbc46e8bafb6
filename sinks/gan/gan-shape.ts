import { checkInteger, rangeError } from '../../sources/errors.js';

/** The shape options both GAN pairs (`createDcgan`, `createSnResnetGan`) take. */
export interface GanShapeOptions {
  readonly z?: number;
  readonly ch?: number;
  readonly size?: number;
  readonly channels?: number;
  readonly classes?: number;
  readonly seed?: number;
}

/** {@link GanShapeOptions} checked, with the defaults filled in (`classes`/`seed` stay undefined when not given). */
export interface GanShape {
  readonly z: number;
  readonly ch: number;
  readonly size: number;
  readonly channels: number;
  readonly classes: number | undefined;
  readonly seed: number | undefined;
}

/**
 * Checks a GAN pair's shape options once for both builders: z 128, size 32 (a multiple of 8: three
 * stride-2 stages; pad 28 px images to 32), 3 channels by default, `ch` defaulting to the builder's.
 * @throws RangeError naming the builder (`action`) and the option.
 */
export function resolveGanShape(action: string, options: GanShapeOptions, defaultCh: number): GanShape {
  const z = checkInteger(action, 'z', options.z ?? 128, 1, 1 << 16);
  const ch = checkInteger(action, 'ch', options.ch ?? defaultCh, 1, 1 << 12);
  const size = checkInteger(action, 'size', options.size ?? 32, 8, 1 << 12);
  const channels = checkInteger(action, 'channels', options.channels ?? 3, 1, 4);
  if (size % 8 !== 0) throw rangeError(action, 'size must be a multiple of 8 (pad 28 px images to 32)', size);
  const classes =
    options.classes === undefined ? undefined : checkInteger(action, 'classes', options.classes, 1, 1 << 16);
  const seed = options.seed === undefined ? undefined : checkInteger(action, 'seed', options.seed, 0, 0xffffffff);
  return { z, ch, size, channels, classes, seed };
}
