import { checkInteger } from '../../sources/errors.js';
import { freshSeed } from '../../sources/random.js';

/**
 * The seed of a stochastic operator, resolved once in its factory: the given one (checked to be an
 * integer in [0, 2^32 - 1]), or, when none was given, a fresh one reported through `onSeed`
 * (the caller logs it, so that the run can be repeated, STYLE rule 7; the library never prints).
 */
export function resolveSeed(action: string, seed: number | undefined, onSeed?: (seed: number) => void): number {
  if (seed === undefined) {
    const picked = freshSeed();
    onSeed?.(picked);
    return picked;
  }
  return checkInteger(action, 'seed', seed, 0, 2 ** 32 - 1);
}
