import { readFile, writeFile } from 'node:fs/promises';
import { readJsonLines } from '../../sinks/report/run-folder.js';

/**
 * Drops the `metrics.jsonl` lines past the resumed step (written after the checkpoint, before a
 * crash), and a cut-short last line, so the resumed run appends to a clean file.
 */
export async function truncateMetrics(path: string, step: number): Promise<void> {
  const records = await readJsonLines(path);
  const kept = records.filter((r) => typeof r['step'] === 'number' && r['step'] <= step);
  if (kept.length === records.length) {
    // keep the file as it is, but make sure a cut-short last line does not glue onto the next record
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text === '' || text.endsWith('\n')) return;
  }
  await writeFile(path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
