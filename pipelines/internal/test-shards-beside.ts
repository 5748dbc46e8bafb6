import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rangeError } from '../../sources/errors.js';

/**
 * Every `test-NNNNNN.tar[.gz]` in the folder of the training shards `shards` (the layout the
 * `ndaflow prepare` converters write: `train-*` and `test-*` side by side), sorted.
 * @throws RangeError (for `action`) when the training spec is not a local path or its folder holds no test shard.
 */
export function testShardsBeside(action: string, shards: string): string[] {
  if (/^[a-z][a-z0-9+.-]*:/i.test(shards))
    throw rangeError(
      action,
      'shards must be local files for the test shards to be found beside them (or give --test-shards)',
      shards,
    );
  const dir = dirname(`${shards.split(/[{[*?]/)[0]}x`);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // reported below
  }
  const found = names
    .filter((n) => /^test-\d{6}\.(tar|tar\.gz|tgz)$/.test(n))
    .sort()
    .map((n) => join(dir, n));
  if (found.length === 0)
    throw rangeError(
      action,
      `the folder of the training shards (${dir}) must hold test-NNNNNN.tar[.gz] shards (or give --test-shards)`,
      shards,
    );
  return found;
}
