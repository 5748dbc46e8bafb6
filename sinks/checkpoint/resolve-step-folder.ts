import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInteger } from '../../sources/errors.js';
import { LATEST_POINTER, stepFolderName } from './checkpoint-parts.js';
import { pathExists } from './path-exists.js';

/**
 * The step folder a checkpoint load reads (`loadCheckpoint`, `loadMocoCheckpoint`): `dir/step-000123`
 * when `step` is given; `dir` itself when it holds a `state.json` (a step folder); else the folder the
 * run folder's `latest` pointer names. `what` names the checkpoint in messages (`'checkpoint'`,
 * `'MoCo checkpoint'`).
 *
 * @returns the folder, or `null` when `step` is not given and `dir` holds neither a `state.json` nor a
 *   `latest` pointer (or does not exist): no checkpoint at all.
 * @throws RangeError/TypeError for a `step` that is not an integer >= 0; Error `Cannot load <what> <dir>
 *   as ...` for a pointer that cannot be read or does not name a step folder.
 */
export async function resolveStepFolder(dir: string, step: number | undefined, what: string): Promise<string | null> {
  if (step !== undefined) return join(dir, stepFolderName(checkInteger(`load ${what} from ${dir}`, 'step', step, 0)));
  if (await pathExists(join(dir, 'state.json'))) return dir;
  const pointer = join(dir, LATEST_POINTER);
  let name: string;
  try {
    name = (await readFile(pointer, 'utf8')).trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new Error(
      `Cannot load ${what} ${dir} as it must hold a readable ${LATEST_POINTER} pointer: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!/^step-\d+$/.test(name))
    throw new Error(
      `Cannot load ${what} ${dir} as ${pointer} must name a step folder: current value is ${JSON.stringify(name)}`,
    );
  return join(dir, name);
}
