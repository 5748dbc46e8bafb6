import { Command } from 'commander';
import type { Accounting } from '../../sources/ledger.js';
import { createLoader } from '../../sources/loader.js';
import { fromShards } from '../../sources/from-shards.js';
import type { Sample } from '../../sources/sample.js';
import { LineWriter } from '../line-writer.js';
import { addReadOptions, integerArg, progressEnabled, type ReadOptions } from '../options.js';
import { startProgress } from '../progress.js';

interface InspectFlags extends ReadOptions {
  json: boolean;
  limit?: number;
}

interface FieldStats {
  count: number;
  min: number;
  max: number;
  sum: number;
}

/** Byte length of one field value (raw fields are bytes; anything else by its JSON text). */
function byteLength(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'string') return Buffer.byteLength(value);
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

function fieldsOf(sample: Sample): [string, number][] {
  return Object.keys(sample)
    .filter((k) => k !== '__key__' && k !== '__url__')
    .map((k) => [k, byteLength(sample[k])]);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')}`.trimEnd()).join('\n');
}

function summary(samples: number, shards: Map<string, number>, fields: Map<string, FieldStats>, accounting: Accounting): string {
  const lines = [`samples: ${samples} in ${shards.size} shard(s)`];
  if (samples > 0) {
    lines.push('shards:', table([...shards].map(([url, n]) => [url, `${n} samples`])), 'fields (bytes):');
    const rows = [['field', 'count', 'min', 'mean', 'max']];
    for (const [name, s] of [...fields].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      rows.push([name, String(s.count), String(s.min), (s.sum / s.count).toFixed(1), String(s.max)]);
    }
    lines.push(table(rows));
  }
  const skipped = Object.entries(accounting.skipped);
  const shardErrors = Object.entries(accounting.shardErrors);
  if (skipped.length > 0) lines.push(`skipped: ${skipped.map(([r, n]) => `${r}=${n}`).join(' ')}`);
  if (shardErrors.length > 0) lines.push(`shard errors: ${shardErrors.map(([r, n]) => `${r}=${n}`).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `ndaflow inspect SHARD...`: reads shards through the loader (so the accounting is the loader's)
 * and prints a summary, or with `--json` exactly one JSON line per sample on stdout
 * (`{"__key__", "__url__", "fields": {FIELD: BYTES}}`); warnings, errors and the final
 * accounting line go to stderr. Exit code: 0 when the run ended (errors skipped by a continue/stop
 * handler are in the accounting), 1 when it failed (an error under `reraise`, a bad spec) or when
 * samples were lost (a bug).
 */
export function inspectCommand(): Command {
  return addReadOptions(
    new Command('inspect')
      .description('list or summarise the samples of tar shards (specs may use {000..009} and ::)')
      .argument('<shards...>', 'shard specs')
      .option('--json', 'one JSON line per sample on stdout: {"__key__", "__url__", "fields": {FIELD: BYTES}}', false)
      .option('--limit <n>', 'stop after N samples', integerArg(1)),
    'seed of the source (default: 0; inspect reads in spec order, unshuffled)',
  ).action(async (specs: string[], flags: InspectFlags, command: Command) => {
    const source = fromShards(specs.join('::'), { seed: flags.seed ?? 0, handler: flags.handler, allowPipe: flags.allowPipe });
    const it = createLoader<Sample>(source).iterate();
    const out = new LineWriter(process.stdout);
    const progress = startProgress({ label: 'inspect', enabled: progressEnabled(command) && !flags.json });
    const shards = new Map<string, number>();
    const fields = new Map<string, FieldStats>();
    let samples = 0;
    let failure: unknown;
    try {
      for await (const sample of it) {
        samples++;
        const sizes = fieldsOf(sample);
        if (flags.json) {
          await out.line(JSON.stringify({ __key__: sample.__key__, __url__: sample.__url__, fields: Object.fromEntries(sizes) }));
          if (out.closed) break;
        } else {
          shards.set(sample.__url__, (shards.get(sample.__url__) ?? 0) + 1);
          for (const [name, n] of sizes) {
            const s = fields.get(name);
            if (s) {
              s.count++;
              s.sum += n;
              if (n < s.min) s.min = n;
              if (n > s.max) s.max = n;
            } else fields.set(name, { count: 1, min: n, max: n, sum: n });
          }
          progress.update(samples);
        }
        if (flags.limit !== undefined && samples >= flags.limit) break;
      }
    } catch (err) {
      failure = err;
    } finally {
      progress.stop();
      await out.close();
    }
    const accounting = it.accounting();
    if (!flags.json) process.stdout.write(summary(samples, shards, fields, accounting));
    process.stderr.write(`ndaflow: accounting ${JSON.stringify(accounting)}\n`);
    if (failure !== undefined) {
      process.stderr.write(`ndaflow: error: ${failure instanceof Error ? failure.message : String(failure)}\n`);
      process.exitCode = 1;
    } else if (accounting.lost !== 0) {
      process.stderr.write(`ndaflow: error: ${accounting.lost} sample(s) were lost (neither delivered nor skipped)\n`);
      process.exitCode = 1;
    }
  });
}
