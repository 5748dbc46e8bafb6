import { checkInteger } from '../../sources/errors.js';
import { freshSeed } from '../../sources/random.js';

/**
 * The seed of a stochastic operator, resolved once in its factory: the given one (checked to be an
 * integer in [0, 2^32 - 1]), or, when none was given, a fresh one reported through `onSeed`
 * (default: a line on stderr), so that the run can be repeated (STYLE rule 7).
 */
export function resolveSeed(
  action: string,
  operator: string,
  seed: number | undefined,
  onSeed?: (seed: number) => void,
): number {
  if (seed === undefined) {
    const picked = freshSeed();
    (onSeed ?? ((s: number) => process.stderr.write(`ndaflow: ${operator} got no seed, using seed ${s}\n`)))(picked);
    return picked;
  }
  return checkInteger(action, 'seed', seed, 0, 2 ** 32 - 1);
}
