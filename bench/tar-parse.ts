/**
 * `npm run bench:tar`: entries/s of reading the same tar shards with `tar-stream` (1 MiB reads, the
 * design's first choice) and with ndaflow's own incremental parser (`readTarSamples`), side by side
 * in alternating rounds. Evidence for reading with our parser: the last line is
 * `{"tar_stream_entries_per_s": N, "ndaflow_entries_per_s": N, "ratio": R}`.
 * `--shards SPEC` (default: the bench's Fashion-MNIST shards, else the embedded ones), `--seconds S`.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { expandShardSpec } from '../sources/shard-spec.js';
import { openShard } from '../sources/open-shard.js';
import { readTarSamples, type ReadCounters } from '../sources/tar-samples.js';
import { round } from './measure.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: { shards: { type: 'string' }, seconds: { type: 'string', default: '6' } },
});
const benchShards = join(tmpdir(), 'ndaflow-bench', 'fmnist', 'train-{000000..000005}.tar');
const spec =
  args.shards ??
  (existsSync(join(tmpdir(), 'ndaflow-bench', 'fmnist', 'train-000005.tar'))
    ? benchShards
    : join(ROOT, 'data', 'fmnist', 'train-{000000..000003}.tar.gz'));
const urls = expandShardSpec(spec);
const seconds = Number(args.seconds);

/** Entries read per second with tar-stream, reading every entry's data into one Buffer as our reader does. */
async function tarStreamRate(duration: number): Promise<number> {
  const start = performance.now();
  let entries = 0;
  while (performance.now() - start < duration * 1000) {
    for (const url of urls) {
      const extract = tar.extract();
      const done = pipeline(openShard(url), extract);
      for await (const entry of extract as AsyncIterable<tar.Entry>) {
        const chunks: Buffer[] = [];
        for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
        Buffer.concat(chunks);
        entries++;
      }
      await done;
    }
  }
  return entries / ((performance.now() - start) / 1000);
}

async function ndaflowRate(duration: number): Promise<number> {
  const start = performance.now();
  const counters: ReadCounters = { entries: 0, bytes: 0 };
  while (performance.now() - start < duration * 1000) {
    for (const url of urls) for await (const _ of readTarSamples(openShard(url), url, counters));
  }
  return counters.entries / ((performance.now() - start) / 1000);
}

const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < 3; r++) {
  a.push(await tarStreamRate(seconds / 3));
  b.push(await ndaflowRate(seconds / 3));
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[1] as number;
process.stderr.write(
  `${spec}\ntar-stream: ${a.map((x) => round(x)).join(', ')} entries/s; ndaflow: ${b.map((x) => round(x)).join(', ')} entries/s\n`,
);
console.log(
  JSON.stringify({
    tar_stream_entries_per_s: round(median(a)),
    ndaflow_entries_per_s: round(median(b)),
    ratio: round(median(b) / median(a), 2),
  }),
);
