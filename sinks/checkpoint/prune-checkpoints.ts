import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInteger } from '../../sources/errors.js';
import { LATEST_POINTER } from './checkpoint-parts.js';

const STEP_FOLDER = /^step-(\d{6,})$/;

/**
 * Removes all but the newest `keep` complete checkpoints (`step-NNNNNN/` folders) of a run folder; the
 * one the `latest` pointer names is always kept, and leftovers of interrupted saves (`*.tmp`, `*.old`)
 * are left alone (`saveCheckpoint` replaces them). Long runs call it after each save so the folder
 * does not grow with every checkpoint.
 *
 * @returns the names of the folders removed, oldest first.
 * @throws RangeError when `keep` is not an integer >= 1; file-system errors as they are.
 */
export async function pruneCheckpoints(dir: string, keep: number): Promise<string[]> {
  checkInteger('prune checkpoints', 'keep', keep, 1);
  let latest: string | null = null;
  try {
    latest = (await readFile(join(dir, LATEST_POINTER), 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const steps = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && STEP_FOLDER.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => Number(STEP_FOLDER.exec(a)![1]) - Number(STEP_FOLDER.exec(b)![1]));
  const keepSet = new Set(steps.slice(-keep));
  if (latest !== null) keepSet.add(latest);
  const removed = steps.filter((name) => !keepSet.has(name));
  for (const name of removed) await rm(join(dir, name), { recursive: true, force: true });
  return removed;
}
