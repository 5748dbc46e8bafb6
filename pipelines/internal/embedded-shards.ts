import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedData } from '../../sources/package-root.js';

/**
 * The embedded shards of one dataset split (`data/fmnist/train-000000.tar.gz`, ...), sorted, as
 * absolute paths: resolved from the package root, never the cwd, and listed when called (not at
 * import), so the count is whatever `data/` holds.
 * @throws Error naming the folder when it holds no shard of that split.
 */
export function embeddedShards(dataset: string, split: string): string[] {
  const dir = embeddedData(dataset);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // reported below
  }
  const pattern = new RegExp(`^${split}-\\d{6}\\.(tar|tar\\.gz|tgz)$`);
  const shards = names
    .filter((n) => pattern.test(n))
    .sort()
    .map((n) => join(dir, n));
  if (shards.length === 0)
    throw new Error(
      `Cannot find the embedded ${dataset} ${split} shards as ${dir} holds no ${split}-NNNNNN.tar[.gz] (regenerate them: see data/README.md)`,
    );
  return shards;
}
