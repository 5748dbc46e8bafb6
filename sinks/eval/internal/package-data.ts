import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A path inside ndaflow's own `data/` folder, found by walking up from this module to the
 * package.json named `ndaflow` (works from `dist/sinks/eval/internal/` in a checkout and in an installed
 * package, whatever the cwd). The same walk as `pipelines/internal/package-root.ts`, repeated here
 * because a sink may not import a pipeline module.
 * @throws Error when no ndaflow package.json is found above this file.
 */
export function packageData(...parts: string[]): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'ndaflow') return join(dir, 'data', ...parts);
      } catch {
        // not JSON: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`Cannot find ndaflow's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
