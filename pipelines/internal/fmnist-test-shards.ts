import { embeddedShards } from './embedded-shards.js';
import { testShardsBeside } from './test-shards-beside.js';

/**
 * The Fashion-MNIST test shards a pipeline evaluates on: `testShards` when given (any shard spec);
 * else the embedded test shards when the run reads the embedded training shards (`shards` not given);
 * else every `test-NNNNNN.tar[.gz]` in the folder of the training shards (the layout
 * `ndaflow prepare fashion-mnist` writes: 6 train shards and 1 test shard for the full set).
 * @throws RangeError (for `action`) when the training spec is not a local path or its folder holds no test shard.
 */
export function fmnistTestShards(
  action: string,
  shards: string | undefined,
  testShards: string | undefined,
): string | string[] {
  if (testShards !== undefined) return testShards;
  if (shards === undefined) return embeddedShards('fmnist', 'test');
  return testShardsBeside(action, shards);
}
