import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { rangeError } from '../../sources/errors.js';
import { embeddedShards } from './embedded-shards.js';

/**
 * The Fashion-MNIST test shards a pipeline evaluates on: `testShards` when given (any shard spec);
 * else the embedded test shards when the run reads the embedded training shards (`shards` not given);
 * else every `test-NNNNNN.tar[.gz]` in the folder of the training shards (the layout
 * `ndaflow prepare fashion-mnist` writes: 6 train shards and 1 test shard for the full set).
 * @throws RangeError (for `action`) when the training spec is not a local path or its folder holds no test shard.
 */
export function fmnistTestShards(action: string, shards: string | undefined, testShards: string | undefined): string | string[] {
  if (testShards !== undefined) return testShards;
  if (shards === undefined) return embeddedShards('fmnist', 'test');
  if (/^[a-z][a-z0-9+.-]*:/i.test(shards)) throw rangeError(action, 'shards must be local files for the test shards to be found beside them (or give --test-shards)', shards);
  const dir = dirname(`${shards.split(/[{[*?]/)[0]}x`);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // reported below
  }
  const found = names.filter((n) => /^test-\d{6}\.(tar|tar\.gz|tgz)$/.test(n)).sort().map((n) => join(dir, n));
  if (found.length === 0) throw rangeError(action, `the folder of the training shards (${dir}) must hold test-NNNNNN.tar[.gz] shards (or give --test-shards)`, shards);
  return found;
}
