import { rangeError, typeError } from '../../sources/errors.js';
import type { RandomResizedCropOptions } from '../random-resized-crop.js';
import { resolveCropSpec } from './crop-window.js';
import { checkInterval } from './image-stage.js';
import { resolveStageOptions, type ResolvedStageOptions } from './resolve-stage-options.js';

/** The options of `randomResizedCrop` or `clipRandomResizedCrop`, checked and with their defaults. */
export interface ResolvedResizedCrop extends ResolvedStageOptions {
  /** Output height and width. */
  readonly h: number;
  readonly w: number;
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
}

/**
 * Checks the options shared by `randomResizedCrop` and `clipRandomResizedCrop` in their factories,
 * in one order (options object, size, scale, ratio, fields, handler, seed), so both throw the same
 * errors. `action` names the operator in the messages.
 */
export function resolveResizedCrop(action: string, options: RandomResizedCropOptions): ResolvedResizedCrop {
  if (typeof options !== 'object' || options === null)
    throw typeError(action, 'options must be an object with a size', options);
  const { h, w } = resolveCropSpec(action, options.size, 0);
  const scale = checkInterval(action, 'scale', options.scale ?? [0.08, 1], 0, Infinity);
  if (scale[0] <= 0) throw rangeError(action, 'scale[0] must be > 0', scale[0]);
  const ratio = checkInterval(action, 'ratio', options.ratio ?? [3 / 4, 4 / 3], 0, Infinity);
  if (ratio[0] <= 0) throw rangeError(action, 'ratio[0] must be > 0', ratio[0]);
  return { h, w, scale, ratio, ...resolveStageOptions(action, options) };
}
