import { rangeError, typeError } from '../../sources/errors.js';
import type { RandomFlipOptions } from '../random-flip.js';
import { checkProbability } from './image-stage.js';
import { resolveStageOptions, type ResolvedStageOptions } from './resolve-stage-options.js';

/** The options of `randomFlip` or `clipRandomFlip`, checked and with their defaults. */
export interface ResolvedFlip extends ResolvedStageOptions {
  readonly p: number;
  readonly direction: 'horizontal' | 'vertical';
}

/**
 * Checks the options shared by `randomFlip` and `clipRandomFlip` in their factories, in one order
 * (options object, p, direction, fields, handler, seed), so both throw the same errors. `action`
 * names the operator in the messages.
 */
export function resolveFlip(action: string, options: RandomFlipOptions): ResolvedFlip {
  if (typeof options !== 'object' || options === null) throw typeError(action, 'options must be an object', options);
  const p = checkProbability(action, 'p', options.p ?? 0.5);
  const direction = options.direction ?? 'horizontal';
  if (direction !== 'horizontal' && direction !== 'vertical')
    throw rangeError(action, "direction must be 'horizontal' or 'vertical'", direction);
  return { p, direction, ...resolveStageOptions(action, options) };
}
