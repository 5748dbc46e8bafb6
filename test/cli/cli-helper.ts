import { spawn } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { readTarSamples } from '../../sources/tar-samples.js';

/** The repository root (this file runs from dist-test/test/cli/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The CLI as the tests compile it (tsconfig.json -> dist-test/), beside the code under test. */
export const CLI = join(ROOT, 'dist-test', 'cli', 'main.js');

/** What a CLI run gave. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist-test/cli/main.js ...args` as a child process (cwd: the repo root unless given; env: variables over this process's). */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The samples of a shard read in-process (plain or gzipped): key and fields. */
export async function readShard(path: string): Promise<{ key: string; fields: Map<string, Buffer> }[]> {
  const out: { key: string; fields: Map<string, Buffer> }[] = [];
  const stream = path.endsWith('.gz')
    ? (await import('node:stream')).Readable.from([gunzipSync(readFileSync(path))])
    : createReadStream(path);
  for await (const item of readTarSamples(stream, path)) {
    if (item.kind !== 'sample') throw new Error(`bad sample in ${path}: ${item.error.message}`);
    out.push({ key: item.key, fields: item.fields });
  }
  return out;
}
