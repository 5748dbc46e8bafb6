import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../checkpoint/write-file-atomic.js';
import { escapeXml, lineChartSvg, type ChartSeries } from './line-chart-svg.js';
import { RUN_FILES, filesEndingWith, readJsonLines, readRunConfig } from './run-folder.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const WRITE_RUN_REPORT_KEYS = optionKeys<RunReportOptions>({ title: true });

/** Options of {@link writeRunReport}. */
export interface RunReportOptions {
  /** Heading of the page. @default the run folder's name */
  readonly title?: string;
}

/**
 * Writes `dir/report.html` from what the run folder holds (see `RUN_FILES`): the resolved
 * configuration as a table; loss curves (every `*loss*` field of `metrics.jsonl` on one chart) and one
 * chart per other numeric metric; one chart per numeric field of `eval.jsonl` (FID, KID, ...; not
 * `n` nor `*Std`) against the step; the OOD protocol's result (`ood.json`, from `ndaflow evaluate ood`)
 * as its own section, one row per set with its AUROC and the mean (its `eval.jsonl` rows are left out of
 * the evaluation table and charts); every other `*.json` file whose content is an array of flat objects (or an object of such
 * arrays) as tables (anomaly AUROC rows); every `*.png` as an image, newest last. The page is one
 * self-contained file (inline SVG, relative image links, no script): it opens from disk in a browser,
 * no server needed. Calling it again rewrites it from the current files (the trainers call it at the
 * end and at checkpoints).
 *
 * @returns the report's path.
 * @throws file-system errors as they are; a bad JSON line other than a cut-short last one, naming the file.
 */
export async function writeRunReport(dir: string, options: RunReportOptions = {}): Promise<string> {
  checkOptionKeys('writeRunReport', options, WRITE_RUN_REPORT_KEYS);
  const title = options.title ?? basename(dir);
  const config = await readRunConfig(dir);
  const metrics = await readJsonLines(join(dir, RUN_FILES.metrics));
  // the OOD protocol's rows have their own section
  const evaluations = (await readJsonLines(join(dir, RUN_FILES.evaluations))).filter((r) => !('ood' in r));
  const ood = await oodSection(join(dir, RUN_FILES.ood));
  const tables: string[] = [];
  for (const name of await filesEndingWith(dir, '.json')) {
    if (name === RUN_FILES.config || (name === RUN_FILES.ood && ood !== '')) continue;
    const html = await jsonTables(join(dir, name), name);
    if (html !== '') tables.push(html);
  }
  const images = await filesEndingWith(dir, '.png');

  const body: string[] = [`<h1>${escapeXml(title)}</h1>`];
  // how the run ended (`recordRunStatus`): a run stopped early must not read as a finished one
  if (typeof config?.['status'] === 'string')
    body.push(
      `<p class="status"><strong>${escapeXml(config['status'])}</strong>${config['status'].startsWith('stopped early') ? ' (continue it with --resume)' : ''}</p>`,
    );
  if (config !== null) body.push('<h2>Configuration</h2>', table([flatten(config)], ['key', 'value'], true));
  if (metrics.length > 0) {
    const last = metrics[metrics.length - 1]!;
    body.push('<h2>Training</h2>', `<p>${metrics.length} steps recorded; last: ${escapeXml(summary(last))}</p>`);
    body.push(...charts(metrics));
  }
  if (evaluations.length > 0) {
    body.push(
      '<h2>Evaluation</h2>',
      table(
        evaluations.map((r) => flatten(r)),
        columnsOf(evaluations),
      ),
    );
    body.push(...charts(evaluations, false));
  }
  if (ood !== '') body.push(ood);
  if (tables.length > 0) body.push('<h2>Tables</h2>', ...tables);
  if (images.length > 0) {
    body.push('<h2>Samples</h2>');
    for (const image of images)
      body.push(
        `<figure><img src="${encodeURI(image)}" alt="${escapeXml(image)}"><figcaption>${escapeXml(image)}</figcaption></figure>`,
      );
  }
  if (body.length === (typeof config?.['status'] === 'string' ? 2 : 1)) body.push('<p>Nothing recorded yet.</p>');
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:13px}th{background:#f4f4f4}svg{margin:0.5em 0.5em 0.5em 0}img{image-rendering:pixelated;max-width:100%;border:1px solid #ddd}figure{margin:1em 0}</style>
</head><body>
${body.join('\n')}
</body></html>
`;
  const path = join(dir, RUN_FILES.report);
  await writeFileAtomic(path, html);
  return path;
}

/** Loss fields together on one chart, each other numeric field on its own, against `step`. */
function charts(records: readonly Record<string, unknown>[], groupLosses = true): string[] {
  // counts (`n`) and spreads (`kidStd`) stay in the table: a chart of them says nothing
  const fields = columnsOf(records).filter(
    (f) => f !== 'step' && f !== 'n' && !/Std$/.test(f) && records.some((r) => typeof r[f] === 'number'),
  );
  const series = (field: string): ChartSeries => ({
    name: field,
    points: records.flatMap((r, i) =>
      typeof r[field] === 'number' ? [[typeof r.step === 'number' ? r.step : i + 1, r[field]] as const] : [],
    ),
  });
  const losses = groupLosses ? fields.filter((f) => /loss/i.test(f)) : [];
  const out: string[] = [];
  if (losses.length > 0) out.push(lineChartSvg(losses.map(series), { title: 'losses', yLabel: 'loss' }));
  for (const field of fields.filter((f) => !losses.includes(f)))
    out.push(lineChartSvg([series(field)], { title: field, yLabel: field }));
  return out;
}

/**
 * The section of `ood.json` (`evaluateOodRun`): which discriminator and test set, one row per set
 * (name, AUROC, images), the mean, and the NDA sets left out with why; '' when the file is missing
 * or is not such a result.
 */
async function oodSection(path: string): Promise<string> {
  let value: Partial<OodRecord>;
  try {
    value = JSON.parse(await readFile(path, 'utf8')) as Partial<OodRecord>;
  } catch {
    return '';
  }
  if (!Array.isArray(value.sets) || typeof value.mean !== 'number') return '';
  const sets: OodRecord['sets'] = value.sets;
  const skipped: OodRecord['skipped'] = Array.isArray(value.skipped) ? value.skipped : [];
  const rows = [
    ...sets.map((s) => ({ set: s.name, auroc: s.auroc, images: s.n })),
    { set: 'mean', auroc: value.mean, images: null },
  ];
  const given = Object.keys(value.ood ?? {}).length;
  const lines = [
    '<h2>Out-of-distribution detection</h2>',
    `<p>AUROC of the discriminator's logit${typeof value.step === 'number' ? ` (checkpoint of step ${value.step})` : ''}: ` +
      `${typeof value.n === 'number' ? `${value.n} ` : ''}in-distribution test images${typeof value.in === 'string' ? ` (${escapeXml(value.in)})` : ''} ` +
      `against each set, ${given} given and ${sets.length - given} NDA'd test sets; 1 separates them perfectly, 0.5 is chance.</p>`,
    table(rows, ['set', 'auroc', 'images']),
  ];
  if (skipped.length > 0)
    lines.push(`<p>Left out: ${skipped.map((s) => `${escapeXml(s.name)} (${escapeXml(s.reason)})`).join('; ')}</p>`);
  return lines.join('\n');
}

/** The fields of `ood.json` the report reads. */
interface OodRecord {
  readonly step: number;
  readonly in: string;
  readonly ood: Readonly<Record<string, string>>;
  readonly n: number;
  readonly sets: readonly { readonly name: string; readonly auroc: number; readonly n: number }[];
  readonly mean: number;
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

async function jsonTables(path: string, name: string): Promise<string> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return '';
  }
  const rowsOf = (v: unknown): Record<string, unknown>[] | null =>
    Array.isArray(v) && v.length > 0 && v.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))
      ? (v as Record<string, unknown>[])
      : null;
  const direct = rowsOf(value);
  if (direct !== null)
    return `<h3>${escapeXml(name)}</h3>${table(
      direct.map((r) => flatten(r)),
      columnsOf(direct),
    )}`;
  if (typeof value !== 'object' || value === null) return '';
  const parts: string[] = [];
  const scalars: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const rows = rowsOf(v);
    if (rows !== null)
      parts.push(
        `<h4>${escapeXml(key)}</h4>${table(
          rows.map((r) => flatten(r)),
          columnsOf(rows),
        )}`,
      );
    else if (typeof v !== 'object' || v === null) scalars[key] = v;
  }
  if (parts.length === 0 && Object.keys(scalars).length === 0) return '';
  const head = Object.keys(scalars).length > 0 ? table([scalars], ['key', 'value'], true) : '';
  return `<h3>${escapeXml(name)}</h3>${head}${parts.join('')}`;
}

/** Column names in first-seen order over all records. */
function columnsOf(records: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** Nested objects become dotted keys (`nda.name`); arrays are shown as JSON. */
function flatten(
  record: Readonly<Record<string, unknown>>,
  prefix = '',
  out: Record<string, unknown> = {},
): Record<string, unknown> {
  for (const [k, v] of Object.entries(record)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

/** An HTML table; `vertical` shows one record as key/value rows. */
function table(rows: readonly Record<string, unknown>[], columns: readonly string[], vertical = false): string {
  if (vertical) {
    const record = rows[0] ?? {};
    return `<table>${Object.entries(record)
      .map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${cell(v)}</td></tr>`)
      .join('')}</table>`;
  }
  const head = `<tr>${columns.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr>`;
  return `<table>${head}${rows.map((r) => `<tr>${columns.map((c) => `<td>${cell(r[c])}</td>`).join('')}</tr>`).join('')}</table>`;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number')
    return escapeXml(Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(5))));
  if (typeof value === 'string') return escapeXml(value);
  return escapeXml(JSON.stringify(value));
}

function summary(record: Readonly<Record<string, unknown>>): string {
  return Object.entries(record)
    .map(
      ([k, v]) =>
        `${k} ${typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : JSON.stringify(v)}`,
    )
    .join(', ');
}
