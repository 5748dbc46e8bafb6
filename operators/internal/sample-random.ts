import { Random } from '../../sources/random.js';
import { lineagesOf } from '../../sources/sample.js';

/**
 * The generator for one sample in one operator: derived from (seed, operator name, epoch, sample
 * key), so the result does not depend on the order or concurrency in which samples arrive, and
 * differs from epoch to epoch. The epoch is the pass the sample was read in (0 when unknown).
 * A numeric `__view__` tag (set by `twoViews` on the copies it augments) is mixed in, so the two
 * views of one sample get different draws from the same operators and seeds; items without it
 * get the same generator as before the tag existed. Inside a `workerMap` thread, where the lineage
 * cannot travel, the epoch comes from the `__epoch__` field that `workerMap` adds.
 */
export function sampleRandom(
  seed: number,
  operator: string,
  item: { readonly __key__: unknown; readonly __view__?: unknown; readonly __epoch__?: unknown },
): Random {
  const epoch = lineagesOf(item)[0]?.pass ?? (typeof item.__epoch__ === 'number' ? item.__epoch__ : 0);
  const key = Array.isArray(item.__key__) ? item.__key__.join('\u0000') : String(item.__key__);
  const view = item.__view__;
  return typeof view === 'number'
    ? Random.derive(seed, operator, epoch, key, 'view', view)
    : Random.derive(seed, operator, epoch, key);
}
