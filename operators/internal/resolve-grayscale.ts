import { typeError } from '../../sources/errors.js';
import type { RandomGrayscaleOptions } from '../random-grayscale.js';
import { checkProbability } from './image-stage.js';
import { resolveStageOptions, type ResolvedStageOptions } from './resolve-stage-options.js';

/** The options of `randomGrayscale` or `clipRandomGrayscale`, checked and with their defaults. */
export interface ResolvedGrayscale extends ResolvedStageOptions {
  readonly p: number;
}

/**
 * Checks the options shared by `randomGrayscale` and `clipRandomGrayscale` in their factories, in
 * one order (options object, p, fields, handler, seed), so both throw the same errors. `action`
 * names the operator in the messages.
 */
export function resolveGrayscale(action: string, options: RandomGrayscaleOptions): ResolvedGrayscale {
  if (typeof options !== 'object' || options === null) throw typeError(action, 'options must be an object', options);
  const p = checkProbability(action, 'p', options.p ?? 0.2);
  return { p, ...resolveStageOptions(action, options) };
}
