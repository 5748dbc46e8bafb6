import { join } from 'node:path';
import { RUN_FILES, readRunConfig } from '../../sinks/report/run-folder.js';
import { rangeError } from '../../sources/errors.js';

/**
 * The configuration a resumed run continues with: the run folder's `config.json`, checked against
 * the options given now. Each entry of `given` that is defined must equal (as JSON) the saved value
 * of the same key: a resumed run keeps its seed, data and model, and only its step target may change.
 *
 * @throws Error when the folder holds no `config.json`; RangeError when it belongs to another
 *   pipeline or a given option contradicts it (naming the saved value).
 */
export async function readResumedConfig(
  action: string,
  pipeline: string,
  runDir: string,
  given: Readonly<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const saved = await readRunConfig(runDir);
  if (saved === null)
    throw new Error(
      `Cannot ${action} --resume as ${join(runDir, RUN_FILES.config)} does not exist (no run to resume there)`,
    );
  if (saved['pipeline'] !== pipeline) throw rangeError(action, `resume needs a run of ${pipeline}`, saved['pipeline']);
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined && JSON.stringify(value) !== JSON.stringify(saved[key])) {
      throw rangeError(action, `resume keeps the run's ${key} ${JSON.stringify(saved[key])}`, JSON.stringify(value));
    }
  }
  return saved;
}
