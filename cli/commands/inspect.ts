import { Command, InvalidArgumentError, Option } from 'commander';
import { decodeClips } from '../../operators/decode-clips.js';
import type { Accounting } from '../../sources/ledger.js';
import { createLoader } from '../../sources/loader.js';
import { fromShards } from '../../sources/from-shards.js';
import type { Sample } from '../../sources/sample.js';
import type { ClipMode } from '../../sources/video/clip-plan.js';
import type { VideoClip } from '../../sources/video/video-clip.js';
import type { VideoScaler } from '../../sources/video/video-frame-decoder.js';
import { LineWriter } from '../line-writer.js';
import { addReadOptions, integerArg, progressEnabled, type ReadOptions } from '../options.js';
import { onInterrupt, type StopSignal } from '../interrupt.js';
import { startProgress } from '../progress.js';

interface InspectFlags extends ReadOptions {
  json: boolean;
  limit?: number;
  clips?: boolean | string;
  frames: number;
  stride: number;
  size: number;
  crop?: number;
  fps?: number;
  mode: ClipMode;
  short: 'pad' | 'skip';
  scaler: VideoScaler;
  concurrency: number;
}

function positiveNumber(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(
      `Cannot use it as it must be a number > 0: current value is ${JSON.stringify(value)}`,
    );
  return n;
}

/** Mean of a clip's values, rounded to 3 decimals. */
function clipMean(clip: VideoClip): number {
  let sum = 0;
  for (const v of clip.data) sum += v;
  return Math.round((sum / clip.data.length) * 1000) / 1000;
}

/** `inspect --clips`: decodes every video and prints one JSON line per clip on stdout. */
async function inspectClips(
  specs: string[],
  flags: InspectFlags,
  clipCount: number | undefined,
  showProgress: boolean,
): Promise<void> {
  const source = fromShards(specs.join('::'), {
    seed: flags.seed ?? 0,
    handler: flags.handler,
    allowPipe: flags.allowPipe,
  });
  const stage = decodeClips({
    frames: flags.frames,
    stride: flags.stride,
    size: flags.size,
    crop: flags.crop ?? flags.size,
    fps: flags.fps,
    mode: flags.mode,
    clips: clipCount,
    short: flags.short,
    scaler: flags.scaler,
    seed: flags.seed ?? 0,
    concurrency: flags.concurrency,
    handler: flags.handler,
  });
  const it = createLoader(source, stage).iterate();
  const out = new LineWriter(process.stdout);
  // Ctrl-C / SIGTERM: the loader stops at once (its ffmpeg processes killed), even mid-decode
  // progress on stderr (the first sample at once: decoding is slow to start)
  const progress = startProgress({ label: 'inspect --clips', printFirst: true, enabled: showProgress });
  const interrupt = onInterrupt({ label: 'inspect --clips', beforeExit: () => progress.stop() });
  interrupt.signal.addEventListener('abort', () => void it.return?.(), { once: true });
  let samples = 0;
  let failure: unknown;
  // clips of videos shorter than a clip, their last frame repeated: said once, at the end
  const padded = { clips: 0, videos: 0 };
  try {
    for await (const sample of it) {
      samples++;
      progress.update(samples);
      const clips = sample['clips'];
      for (const [i, clip] of clips.entries()) {
        const line = { __key__: sample.__key__, clip: i, shape: clip.shape, mean: clipMean(clip), padded: clip.padded };
        await out.line(JSON.stringify(line));
      }
      const paddedClips = clips.filter((c) => c.padded > 0).length;
      padded.clips += paddedClips;
      if (paddedClips > 0) padded.videos++;
      if (out.closed) break;
      if (flags.limit !== undefined && samples >= flags.limit) break;
    }
  } catch (err) {
    failure = err;
  } finally {
    progress.stop();
    await out.close();
    interrupt.dispose();
  }
  if (padded.clips > 0)
    process.stderr.write(
      `ndaflow: inspect --clips: ${padded.clips} clip(s) of ${padded.videos} video(s) were padded: the video is shorter than a clip (frames x stride), so its last frame repeats (the clip's "padded" counts those frames; --short skip drops such videos)\n`,
    );
  reportEnd(it.accounting(), failure, interrupt.received, samples);
}

/**
 * The end of every inspect run: the accounting line on stderr, then the run's failure (or lost
 * samples, a bug) as an error line with exit code 1.
 */
function reportEnd(accounting: Accounting, failure: unknown, stoppedOn?: StopSignal, samples = 0): void {
  if (stoppedOn !== undefined)
    process.stderr.write(`ndaflow: inspect: stopped on ${stoppedOn} after ${samples} sample(s)\n`);
  process.stderr.write(`ndaflow: accounting ${JSON.stringify(accounting)}\n`);
  if (failure !== undefined) {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a thrown non-Error is shown as it stringifies
    process.stderr.write(`ndaflow: error: ${failure instanceof Error ? failure.message : String(failure)}\n`);
    process.exitCode = 1;
  } else if (accounting.lost !== 0) {
    process.stderr.write(`ndaflow: error: ${accounting.lost} sample(s) were lost (neither delivered nor skipped)\n`);
    process.exitCode = 1;
  }
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
  return rows
    .map((r) =>
      `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')}`.trimEnd(),
    )
    .join('\n');
}

function summary(
  samples: number,
  shards: Map<string, number>,
  fields: Map<string, FieldStats>,
  accounting: Accounting,
): string {
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
 *
 * `inspect --clips [n] --frames F --stride S --size N [--crop C] [--fps R] [--mode uniform|random|multi]
 * [--short pad|skip] SHARD...` decodes the video field of every sample with `decodeClips` and prints
 * one JSON line per clip, `{"__key__", "clip", "shape": [T, H, W, 3], "mean", "padded"}` (mean pixel
 * value 0..255, 3 decimals; padded: the frames repeated because the video is shorter than a clip,
 * with one note on stderr when any clip was); a broken video follows `--handler` (reraise: exit 1 naming the key, field
 * and ffmpeg's message; a continue handler: counted under `video-decode` in the accounting line).
 */
export function inspectCommand(): Command {
  return addReadOptions(
    new Command('inspect')
      .description('list or summarise the samples of tar shards (specs may use {000..009} and ::)')
      .argument('[shards...]', 'shard specs')
      .option('--json', 'one JSON line per sample on stdout: {"__key__", "__url__", "fields": {FIELD: BYTES}}', false)
      .option('--limit <n>', 'stop after N samples', integerArg(1))
      .option(
        '--clips [n]',
        'decode every video (mp4, avi, webm, mkv, mov) and print one JSON line per clip: {"__key__", "clip", "shape", "mean", "padded"}; n: clips per video (uniform, multi)',
      )
      .option('--frames <n>', 'with --clips: frames per clip', integerArg(1, 100_000), 16)
      .option('--stride <n>', 'with --clips: step between clip frames, in decoded frames', integerArg(1, 100_000), 1)
      .option('--size <n>', 'with --clips: short side of the frames, in pixels', integerArg(1, 16_384), 112)
      .option('--crop <n>', 'with --clips: centre crop side (default: --size)', integerArg(1, 16_384))
      .option(
        '--fps <r>',
        "with --clips: resample to this frame rate (default: the video's own frames)",
        positiveNumber,
      )
      .addOption(
        new Option(
          '--mode <mode>',
          'with --clips: clip placement (uniform: evenly spaced; random / multi: seeded by --seed)',
        )
          .choices(['uniform', 'random', 'multi'])
          .default('uniform'),
      )
      .addOption(
        new Option(
          '--short <policy>',
          'with --clips: a video shorter than a clip: pad (repeat its last frame) or skip (counted)',
        )
          .choices(['pad', 'skip'])
          .default('pad'),
      )
      .addOption(
        new Option('--scaler <name>', 'with --clips: resize algorithm')
          .choices(['bilinear', 'fast_bilinear', 'bicubic', 'area', 'neighbor'])
          .default('bilinear'),
      )
      .option('--concurrency <n>', 'with --clips: ffmpeg processes at once', integerArg(1, 256), 2),
    'seed of the source (default: 0; inspect reads in spec order, unshuffled)',
  ).action(async (specs: string[], flags: InspectFlags, command: Command) => {
    // `--clips SHARD`: commander gives the optional value the first shard; take it back
    let clipCount: number | undefined;
    if (typeof flags.clips === 'string') {
      if (/^\d+$/.test(flags.clips)) clipCount = Number(flags.clips);
      else specs = [flags.clips, ...specs];
    }
    if (specs.length === 0) command.error("error: missing required argument 'shards'");
    if (flags.clips !== undefined && flags.clips !== false) {
      if (clipCount === 0)
        command.error(
          "error: option '--clips [n]' argument '0' is invalid. Cannot use it as it must be >= 1: current value is 0",
        );
      if (flags.mode === 'random' && clipCount !== undefined && clipCount !== 1)
        command.error('error: --mode random makes exactly one clip per video (use --mode multi)');
      try {
        await inspectClips(specs, flags, clipCount, progressEnabled(command));
      } catch (err) {
        // a bad option (RangeError from the factory) or no ffmpeg
        process.stderr.write(`ndaflow: error: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      }
      return;
    }
    const source = fromShards(specs.join('::'), {
      seed: flags.seed ?? 0,
      handler: flags.handler,
      allowPipe: flags.allowPipe,
    });
    const it = createLoader<Sample>(source).iterate();
    const out = new LineWriter(process.stdout);
    const progress = startProgress({ label: 'inspect', enabled: progressEnabled(command) && !flags.json });
    const interrupt = onInterrupt({ label: 'inspect', beforeExit: () => progress.stop() });
    interrupt.signal.addEventListener('abort', () => void it.return?.(), { once: true });
    const shards = new Map<string, number>();
    const fields = new Map<string, FieldStats>();
    let samples = 0;
    let failure: unknown;
    try {
      for await (const sample of it) {
        samples++;
        const sizes = fieldsOf(sample);
        if (flags.json) {
          await out.line(
            JSON.stringify({ __key__: sample.__key__, __url__: sample.__url__, fields: Object.fromEntries(sizes) }),
          );
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
      interrupt.dispose();
    }
    const accounting = it.accounting();
    if (!flags.json) process.stdout.write(summary(samples, shards, fields, accounting));
    reportEnd(accounting, failure, interrupt.received, samples);
  });
}
