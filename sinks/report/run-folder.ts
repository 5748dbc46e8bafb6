import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { typeError } from '../../sources/errors.js';
import { writeFileAtomic } from '../checkpoint/write-file-atomic.js';

/**
 * The files of a run folder (`runs/<name>/`), written by the trainers and pipelines and read by
 * {@link writeRunReport}:
 * - `config.json`: the resolved configuration (every option with its final value, the seed, the backend);
 * - `metrics.jsonl`: one JSON object per training step (`{step, dLoss, dLossReal, dLossFake, dLossNegative, gLoss, msPerStep}` for the GAN);
 * - `eval.jsonl`: one JSON object per evaluation (`{step, fid, kid, kidStd, n}`);
 * - `*.json` tables (`anomaly.json`: AUROC rows), `*.png` sample grids, `step-NNNNNN/` checkpoints;
 * - `report.html`: the report.
 */
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  evaluations: 'eval.jsonl',
  report: 'report.html',
} as const;

/**
 * Writes the resolved configuration of a run to `dir/config.json` (pretty JSON, atomically), creating
 * the folder. Keys keep their insertion order; `undefined` values are left out.
 * @throws TypeError when the configuration is not a JSON object.
 */
export async function writeRunConfig(dir: string, config: Readonly<Record<string, unknown>>): Promise<string> {
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw typeError('write a run configuration', 'config must be an object', config);
  await mkdir(dir, { recursive: true });
  const path = join(dir, RUN_FILES.config);
  await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

/**
 * Reads `dir/config.json` as written by {@link writeRunConfig}, or `null` when there is none.
 * @throws Error naming the file when it is not a JSON object.
 */
export async function readRunConfig(dir: string): Promise<Record<string, unknown> | null> {
  const path = join(dir, RUN_FILES.config);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`Cannot read the run configuration ${path} as it must be a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * The records of a JSON-lines file (`metrics.jsonl`, `eval.jsonl`), `[]` when it does not exist. A
 * last line cut short by a crash is ignored; any other bad line throws, naming the file and line.
 */
export async function readJsonLines(path: string): Promise<Record<string, unknown>[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n');
  const out: Record<string, unknown>[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch (error) {
      const last = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!last)
        throw new Error(`Cannot read ${path} as line ${i + 1} is not JSON (${(error as Error).message})`, {
          cause: error,
        });
    }
  });
  return out;
}

/** The names of the files directly in `dir` that end with `suffix`, sorted. */
export async function filesEndingWith(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => e.name)
    .sort();
}
