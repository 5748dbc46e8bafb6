import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of ndaflow's own package.json, found by walking up from this module (so it works from
 * `dist/` of an installed package and from `dist/` or `dist-test/` of a checkout alike, whatever the
 * cwd). A few stat calls: callers ask once per run, so nothing is cached.
 * @throws Error when no ndaflow package.json is found above this file.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'ndaflow') return dir;
      } catch {
        // not JSON: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`Cannot find ndaflow's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** A path inside the package's embedded `data/` folder (the Fashion-MNIST shards, the evaluation classifier). */
export function embeddedData(...parts: string[]): string {
  return join(packageRoot(), 'data', ...parts);
}
