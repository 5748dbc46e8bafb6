import { typeError } from '../../sources/errors.js';
import type { ColorJitterOptions } from '../color-jitter.js';
import { resolveJitterRanges, type JitterRanges } from './clip-jitter.js';
import { checkProbability } from './image-stage.js';
import { resolveStageOptions, type ResolvedStageOptions } from './resolve-stage-options.js';

/** The options of `colorJitter` or `clipColorJitter`, checked and with their defaults. */
export interface ResolvedColorJitter extends ResolvedStageOptions {
  readonly ranges: JitterRanges;
  readonly p: number;
  /** False when every range is left at 0 (the operator changes nothing). */
  readonly active: boolean;
}

/**
 * Checks the options shared by `colorJitter` and `clipColorJitter` in their factories, in one
 * order (options object, factors, p, fields, handler, seed), so both throw the same errors.
 * `action` names the operator in the messages.
 */
export function resolveColorJitter(action: string, options: ColorJitterOptions): ResolvedColorJitter {
  if (typeof options !== 'object' || options === null) throw typeError(action, 'options must be an object', options);
  const ranges = resolveJitterRanges(action, options);
  const p = checkProbability(action, 'p', options.p ?? 0.8);
  return { ranges, p, active: ranges.some((r) => r !== null), ...resolveStageOptions(action, options) };
}
