import { Random } from '../../sources/random.js';
import { lineagesOf } from '../../sources/sample.js';

/**
 * The generator for one sample in one operator: derived from (seed, operator name, epoch, sample
 * key), so the result does not depend on the order or concurrency in which samples arrive, and
 * differs from epoch to epoch. The epoch is the pass the sample was read in (0 when unknown).
 */
export function sampleRandom(seed: number, operator: string, item: { readonly __key__: unknown }): Random {
  const lineage = lineagesOf(item)[0];
  const key = Array.isArray(item.__key__) ? item.__key__.join('\u0000') : String(item.__key__);
  return Random.derive(seed, operator, lineage?.pass ?? 0, key);
}
