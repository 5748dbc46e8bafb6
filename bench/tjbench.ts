/**
 * libjpeg-turbo's own decode rate on a set of JPEGs, the ceiling for the photo benchmarks: `tjbench`
 * (Debian's `libjpeg-turbo-progs`, native SIMD, decode to RGB, nothing written), one process per
 * core, all at once, each cycling through its share of the files; the rate is the sum over the
 * processes of their mean frame rate. Measured beside the pipeline in the same run, under the same
 * load, so that the ratio means something on a busy machine.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** True when `tjbench` runs here. */
export async function haveTjbench(): Promise<boolean> {
  try {
    await run('tjbench', ['-h']);
    return true;
  } catch (error) {
    // tjbench -h prints its usage and exits non-zero; a missing binary is ENOENT
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Writes up to `count` of `images` (spread over the set) under `dir` for tjbench; returns the paths. */
export function writeTjbenchFiles(dir: string, images: readonly Uint8Array[], count: number): string[] {
  mkdirSync(dir, { recursive: true });
  const step = Math.max(1, Math.floor(images.length / count));
  const paths: string[] = [];
  for (let i = 0; i < images.length && paths.length < count; i += step) {
    const path = join(dir, `${String(paths.length).padStart(3, '0')}.jpg`);
    writeFileSync(path, images[i] as Uint8Array);
    paths.push(path);
  }
  return paths;
}

/** Images/s of `processes` tjbench processes at once over `files`, for about `seconds`. */
export async function tjbenchRate(files: readonly string[], processes: number, seconds: number): Promise<number> {
  const shares = Array.from({ length: processes }, (_, p) => files.filter((_, i) => i % processes === p));
  const perProcess = await Promise.all(
    shares.map(async (share) => {
      const per = seconds / Math.max(1, share.length);
      const rates: number[] = [];
      for (const file of share) {
        const { stdout } = await run('tjbench', [
          file,
          '-rgb',
          '-nowrite',
          '-benchtime',
          String(per),
          '-warmup',
          '0.05',
        ]);
        const m = /Decompress\s+-->\s+Frame rate:\s+([\d.]+)/.exec(stdout);
        if (!m) throw new Error(`Cannot read tjbench's frame rate as its output has none: ${stdout.slice(-300)}`);
        rates.push(Number(m[1]));
      }
      return rates.reduce((a, b) => a + b, 0) / Math.max(1, rates.length);
    }),
  );
  return perProcess.reduce((a, b) => a + b, 0);
}

/**
 * Images/s of libjpeg-turbo through Pillow (`bench/pillow-decode.py`, Debian's `python3-pil`), with
 * `processes` processes at once, each decoding its share of `files` one after another (cycling):
 * the streaming reference, where every decode meets a new file as a loader's does. tjbench decodes
 * each file over and over, hot in the caches: measured here, the same library decodes these tiles
 * ~1.3x faster repeating one file (180 us) than taking them in turn (230-255 us). Null when Pillow is missing.
 */
export async function pillowRate(files: readonly string[], processes: number, seconds: number): Promise<number | null> {
  const python = process.env['NDAFLOW_PILLOW_PYTHON'] ?? '/usr/bin/python3';
  const script = fileURLToPath(new URL('../../bench/pillow-decode.py', import.meta.url));
  const shares = Array.from({ length: processes }, (_, p) => files.filter((_, i) => i % processes === p));
  try {
    const rates = await Promise.all(
      shares.map(async (share) => {
        const { stdout } = await run(python, [script, '--seconds', String(seconds), ...share]);
        const r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { images: number; seconds: number };
        return r.images / r.seconds;
      }),
    );
    return rates.reduce((a, b) => a + b, 0);
  } catch (error) {
    process.stderr.write(`Pillow reference skipped (${python}: ${String(error).split('\n')[0]})\n`);
    return null;
  }
}
