/**
 * `npm run bench:memory`: >= 1,000,000 samples (synthetic shards the bench writes, read round after
 * round) through decode + batch 64, consumed by a sink that waits 10 ms per batch. Memory must stay
 * flat: last line `{"samples": N, "rss_mb_at_100k": N, "rss_mb_peak": N, "growth": R}` with
 * growth = (final RSS - RSS at 100k samples) / RSS at 100k. Goal: growth < 0.05, peak < 1024 MB.
 * Options: `--samples N` (default 1000000), `--wait-ms W` (default 10).
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { ShardWriter } from '../sources/shard-writer.js';
import { createLoader } from '../sources/loader.js';
import { fromShards } from '../sources/from-shards.js';
import { Random } from '../sources/random.js';
import { decode } from '../operators/decode.js';
import { batch } from '../operators/batch.js';
import { round } from './measure.js';

const { values: args } = parseArgs({
  options: { samples: { type: 'string', default: '1000000' }, 'wait-ms': { type: 'string', default: '10' } },
});
const total = Number(args.samples);
const waitMs = Number(args['wait-ms']);
const PER_SHARD = 2500;
const SHARDS = 4;

async function writeSyntheticShards(dir: string): Promise<string> {
  const rng = Random.derive(7, 'memory-bench');
  const variants: Buffer[] = [];
  for (let v = 0; v < 16; v++) {
    const px = Buffer.alloc(28 * 28);
    for (let i = 0; i < px.length; i++) px[i] = rng.int(0, 255);
    variants.push(
      await sharp(px, { raw: { width: 28, height: 28, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toBuffer(),
    );
  }
  const w = new ShardWriter(join(dir, 'synthetic-%03d.tar'), { maxSamples: PER_SHARD });
  for (let i = 0; i < PER_SHARD * SHARDS; i++)
    await w.write({
      __key__: `s${String(i).padStart(7, '0')}`,
      png: variants[i % variants.length],
      cls: i % 10,
    });
  await w.close();
  return join(dir, `synthetic-{000..${String(SHARDS - 1).padStart(3, '0')}}.tar`);
}

function rssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}

async function main(): Promise<void> {
  const dir = join(tmpdir(), 'ndaflow-bench', 'memory');
  mkdirSync(dir, { recursive: true });
  const spec = await writeSyntheticShards(dir);
  const epochs = Math.ceil(total / (PER_SHARD * SHARDS));
  const it = createLoader(fromShards(spec, { seed: 1, shuffle: 1000, epochs }), decode({}), batch(64)).iterate();
  let samples = 0;
  let at100k = 0;
  let peak = 0;
  let nextReport = 100_000;
  const started = performance.now();
  for await (const b of it as AsyncIterable<{ __key__: string[] }>) {
    samples += b.__key__.length;
    await new Promise((r) => setTimeout(r, waitMs));
    if (samples >= nextReport) {
      const rss = rssMb();
      if (at100k === 0) at100k = rss;
      peak = Math.max(peak, rss);
      process.stderr.write(
        `${samples} samples, rss ${round(rss, 1)} MB, ${round(samples / ((performance.now() - started) / 1000))} samples/s\n`,
      );
      nextReport += 100_000;
    }
    peak = Math.max(peak, process.memoryUsage().rss / 2 ** 20);
  }
  const final = rssMb();
  const acc = it.accounting();
  process.stderr.write(
    `accounting: ${JSON.stringify({ seen: acc.seen, yielded: acc.yielded, skipped: acc.skipped, lost: acc.lost })}\n`,
  );
  console.log(
    JSON.stringify({
      samples,
      rss_mb_at_100k: round(at100k, 1),
      rss_mb_peak: round(peak, 1),
      growth: round((final - at100k) / at100k, 4),
    }),
  );
}

await main();
