import { embeddedShards } from './embedded-shards.js';
import { testShardsBeside } from './test-shards-beside.js';

/**
 * Moving-Fashion-MNIST shards of a split: the embedded ones (`data/moving-fmnist`), or for the test
 * split of user shards (`ndaflow prepare moving-fmnist --out DIR`), the `test-NNNNNN.tar[.gz]` beside them.
 */
export function movingFmnistShards(split: 'train' | 'test', userShards?: string): string | string[] {
  if (userShards === undefined) return embeddedShards('moving-fmnist', split);
  return testShardsBeside('run moving-fmnist-video-moco', userShards);
}
