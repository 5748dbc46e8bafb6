import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reading a tree of class folders in one deterministic order, shared by the image `folder`
 * converter and the `video-folder` adapter (not part of the public API): names are compared by
 * code point (not by locale), hidden entries (a leading dot) are skipped.
 */

/** Compares two names by code point (`Array.prototype.sort`'s comparator form). */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Relative POSIX paths of the files under a folder, sorted by code point level by level, hidden entries skipped. */
export async function walkFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  entries.sort((a, b) => byCodePoint(a.name, b.name));
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walkFiles(join(dir, e.name), rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

/** Names of the sub-folders of a folder, sorted by code point, hidden ones skipped. */
export async function subFolders(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byCodePoint);
}
