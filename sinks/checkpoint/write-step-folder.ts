import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LATEST_POINTER, stepFolderName } from './checkpoint-parts.js';
import { pathExists } from './path-exists.js';
import { writeFileAtomic } from './write-file-atomic.js';

/**
 * Writes the step folder `dir/step-000123/` of a run folder the crash-safe way every checkpoint uses
 * (`saveCheckpoint`, `saveMocoCheckpoint`): `fill` writes the folder's files into `step-000123.tmp`
 * (created empty), which is then renamed into place (an existing step folder is replaced, through
 * `step-000123.old`), and only then is the `latest` pointer file replaced (atomically) with its name.
 * A crash at any point never leaves a half-written folder as the latest.
 *
 * @returns the step folder's path.
 * @throws errors of `fill` (nothing is renamed and the pointer is not touched) and file-system errors as they are.
 */
export async function writeStepFolder(
  dir: string,
  step: number,
  fill: (tmp: string) => Promise<void>,
): Promise<string> {
  const name = stepFolderName(step);
  const final = join(dir, name);
  const tmp = `${final}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await fill(tmp);
  const old = `${final}.old`;
  const replacing = await pathExists(final);
  if (replacing) {
    await rm(old, { recursive: true, force: true });
    await rename(final, old);
  }
  await rename(tmp, final);
  if (replacing) await rm(old, { recursive: true, force: true });
  await writeFileAtomic(join(dir, LATEST_POINTER), `${name}\n`);
  return final;
}
