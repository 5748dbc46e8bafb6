import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { typeError } from '../../sources/errors.js';
import { readFileIfPresent } from '../checkpoint/read-file-if-present.js';
import { writeFileAtomic } from '../checkpoint/write-file-atomic.js';

/**
 * The files of a run folder (`runs/<name>/`), written by the trainers and pipelines and read by
 * {@link writeRunReport}:
 * - `config.json`: the resolved configuration (every option with its final value, the seed, the backend);
 * - `metrics.jsonl`: one JSON object per training step (`{step, dLoss, dLossReal, dLossFake, dLossNegative, gLoss, msPerStep}` for the GAN);
 * - `eval.jsonl`: one JSON object per evaluation (`{step, fid, kid, kidStd, n}`);
 * - `ood.json`: the OOD protocol's result (`ndaflow evaluate ood`: `{step, in, ood, sets, mean, skipped, n}`);
 * - `*.json` tables (`anomaly.json`: AUROC rows), `*.png` sample grids, `step-NNNNNN/` checkpoints;
 * - `report.html`: the report.
 */
export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  evaluations: 'eval.jsonl',
  ood: 'ood.json',
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
  const text = await readFileIfPresent(path);
  if (text === null) return null;
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

/**
 * Records how a run ended in its `config.json` as `status` (`completed at step 200`, `stopped early
 * at step 7`), which the report shows under its title. Does nothing when the folder has no config.
 */
export async function recordRunStatus(dir: string, status: string): Promise<void> {
  const config = await readRunConfig(dir);
  if (config === null) return;
  await writeRunConfig(dir, { ...config, status });
}

/** `step-NNNNNN` checkpoint folders and `*-step-NNNNNN.png` sample grids: the step they belong to. */
const STEP_FOLDER = /^step-(\d+)$/;
const STEP_GRID = /-step-(\d+)\.png$/;

/**
 * What a run folder holds, in a few words (`fmnist-gan, seed 1, 24 steps recorded, checkpoint step 24`),
 * or `null` when it holds no run: it does not exist, or has none of `config.json`, a non-empty
 * `metrics.jsonl`, `eval.jsonl` or a `step-NNNNNN/` checkpoint. Used to refuse a new run over an old one.
 */
export async function describeRunFolder(dir: string): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const steps = names
    .map((n) => STEP_FOLDER.exec(n)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number);
  let config: Record<string, unknown> | null = null;
  let configBad = false;
  try {
    config = await readRunConfig(dir);
  } catch {
    configBad = true;
  }
  let metrics: readonly unknown[];
  try {
    metrics = await readJsonLines(join(dir, RUN_FILES.metrics));
  } catch {
    metrics = [{}]; // an unreadable metrics file still says a run was here
  }
  const hasEval = names.includes(RUN_FILES.evaluations);
  if (config === null && !configBad && metrics.length === 0 && steps.length === 0 && !hasEval) return null;
  const parts: string[] = [];
  if (config !== null) {
    if (typeof config['pipeline'] === 'string') parts.push(config['pipeline']);
    if (typeof config['seed'] === 'number') parts.push(`seed ${config['seed']}`);
    if (typeof config['status'] === 'string') parts.push(config['status']);
  } else if (configBad) parts.push(`an unreadable ${RUN_FILES.config}`);
  if (metrics.length > 0) parts.push(`${metrics.length} step(s) recorded`);
  if (steps.length > 0) parts.push(`checkpoint step ${Math.max(...steps)}`);
  return parts.length > 0 ? parts.join(', ') : 'run files';
}

/**
 * Removes what a run wrote into `dir` (`config.json`, `metrics.jsonl`, `eval.jsonl`, `report.html`,
 * every `*.json` table and `*.png` grid, `step-NNNNNN/` checkpoints, the best one (`best/`) and the `latest` pointer), so a
 * new run starts from an empty folder (`--overwrite`). Other files are left alone. Idempotent.
 */
export async function clearRunFolder(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const ours = (n: string) =>
    (Object.values(RUN_FILES) as string[]).includes(n) ||
    n === 'latest' ||
    n.endsWith('.json') ||
    n.endsWith('.png') ||
    n === 'best' ||
    STEP_FOLDER.test(n);
  for (const n of names.filter(ours)) await rm(join(dir, n), { recursive: true, force: true });
}

/**
 * Trims a run folder to the step a resumed run continues from: `metrics.jsonl` and `eval.jsonl` keep
 * the records of steps <= `step` (a cut-short last line is dropped), and sample grids
 * (`*-step-NNNNNN.png`) of later steps are removed, so the report shows one run's history.
 */
export async function trimRunFolder(dir: string, step: number): Promise<void> {
  for (const file of [RUN_FILES.metrics, RUN_FILES.evaluations]) await trimJsonLines(join(dir, file), step);
  for (const name of await filesEndingWith(dir, '.png')) {
    const m = STEP_GRID.exec(name);
    if (m !== null && Number(m[1]) > step) await rm(join(dir, name), { force: true });
  }
}

/** A folder beside `dir` that holds no run: `dir-2`, `dir-3`, ... (for the "fresh folder" advice). */
export async function freshRunFolder(dir: string): Promise<string> {
  for (let i = 2; ; i++) {
    const candidate = `${dir.replace(/[/\\]+$/, '')}-${i}`;
    if ((await describeRunFolder(candidate)) === null) return candidate;
  }
}

/** Keeps the records of a JSON-lines file whose `step` is <= `step` (the file untouched when all are). */
async function trimJsonLines(path: string, step: number): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const records = await readJsonLines(path);
  const kept = records.filter((r) => typeof r['step'] === 'number' && r['step'] <= step);
  if (kept.length === records.length && (text === '' || text.endsWith('\n'))) return;
  await writeFileAtomic(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
