import { Observable } from 'rxjs';
import { createHash } from 'node:crypto';
import { ShardError, checkInteger, rangeError, typeError } from './errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from './handlers.js';
import { Ledger, type Accounting } from './ledger.js';
import { rankFromEnv } from './launcher-env.js';
import type { LoaderState, MergedLoaderState, SavedLayout, SavedPosition, ShardTask } from './loader-state.js';
import { slotTasks } from './merge-loader-states.js';
import type { OpenShardOptions } from './open-shard.js';
import { Random, freshSeed } from './random.js';
import { LINEAGE, settleDelivered, type AnyFields, type Lineage, type Sample, type SampleIdentity } from './sample.js';
import { ShardReader, type Position } from './shard-reader.js';
import { planShards } from './shard-plan.js';
import { expandShardSpec } from './shard-spec.js';
import { ShuffleBuffer } from './shuffle-buffer.js';
import type { ReadCounters } from './tar-samples.js';
import { checkOptionKeys, optionKeys } from './option-keys.js';

const FROM_SHARDS_KEYS = optionKeys<FromShardsOptions>({
  seed: true,
  shuffle: true,
  shuffleShards: true,
  epochs: true,
  samplesPerEpoch: true,
  resampled: true,
  equalLength: true,
  rank: true,
  worldSize: true,
  worker: true,
  numWorkers: true,
  handler: true,
  onSeed: true,
  allowPipe: true,
  readSize: true,
  http: true,
  cacheDir: true,
  cacheLimit: true,
  onCacheEvent: true,
});

/** Options of {@link fromShards}. */
export interface FromShardsOptions extends OpenShardOptions {
  /** Seed of every random choice (shard order, shuffle buffer). @default a fresh seed, reported with `onSeed` and readable as `source.seed` */
  readonly seed?: number;
  /** Sample shuffle buffer: a size, or size and initial fill. 0 keeps the tar order. @default 0 */
  readonly shuffle?: number | { readonly size: number; readonly initial?: number };
  /** Shuffle the shard order every epoch. @default true when `shuffle` > 0 */
  readonly shuffleShards?: boolean;
  /** Epochs to run; `Infinity` repeats forever. @default 1 */
  readonly epochs?: number;
  /** With this, an epoch is this many samples (the shards are read round after round), as WebDataset's `with_epoch(n)`. */
  readonly samplesPerEpoch?: number;
  /** Draw shards with replacement. @default false */
  readonly resampled?: boolean;
  /** Give every rank/worker the same number of shards, ceil(shards / slots), wrapping around (so each gets one even with fewer shards than slots). @default false */
  readonly equalLength?: boolean;
  /** This process's rank. @default read from the launcher's variables when the source is created (see {@link rankFromEnv}: torchrun, Slurm, OpenMPI, indexed Job), else 0 */
  readonly rank?: number;
  /** Number of ranks. @default read from the launcher's variables with the rank (see {@link rankFromEnv}), else 1 */
  readonly worldSize?: number;
  /** This worker's index inside the rank. @default 0 */
  readonly worker?: number;
  /** Workers per rank. @default 1 */
  readonly numWorkers?: number;
  /** Error policy for bad samples and shards. @default 'reraise' */
  readonly handler?: ErrorHandler | HandlerName;
  /**
   * Called once with the fresh seed when none was given, so that the caller can log it and the run
   * can be repeated (the library itself never prints; `source.seed` holds it too). @default none
   */
  readonly onSeed?: (seed: number) => void;
}

/** Options of one run of a source. */
export interface SourceRunOptions {
  /** Most samples emitted and not yet settled (delivered or skipped). @default Infinity */
  readonly maxInFlight?: number;
  /**
   * A state saved by an earlier run of the same source (same rank and world size), or the states of
   * every rank of a job merged by {@link mergeLoaderStates} (any rank and world size: this run reads
   * its share of what the job had not delivered).
   */
  readonly resumeFrom?: LoaderState | MergedLoaderState;
}

/** One running subscription's view: its samples, ledger and state. */
export interface SourceRun {
  readonly samples: Observable<Sample>;
  readonly ledger: Ledger;
  readonly counters: ReadCounters;
  /** True once the source has emitted its last sample (it completed, not stopped). */
  readonly finished: boolean;
  /** The loader state now (consistent between emissions). */
  state(): LoaderState;
  accounting(): Accounting;
}

interface Resolved {
  readonly urls: string[];
  readonly seed: number;
  readonly shuffle: { size: number; initial: number } | null;
  readonly epochs: number;
  readonly samplesPerEpoch: number | undefined;
  readonly handler: ErrorHandler;
  readonly rank: number;
  readonly worldSize: number;
  readonly worker: number;
  readonly numWorkers: number;
  readonly options: FromShardsOptions;
}

const ACTION = 'create a shard source';

/**
 * A lazy, re-iterable source of WebDataset samples read from tar shards. It reads only on demand:
 * each emission needs credit (samples in flight below `maxInFlight`), so a slow consumer stops the
 * reads. Subscribing directly gives samples with no bound (each is settled as it is emitted); use
 * `createLoader` for backpressure, state and accounting.
 *
 * @example
 * const source = fromShards('data/fmnist/train-{000..003}.tar', { seed: 1, shuffle: 1000 });
 * @throws RangeError/TypeError for bad options or a spec that expands to no shard.
 * Deterministic given `seed` (and rank/worker).
 */
export function fromShards<F extends object = AnyFields>(
  spec: string | readonly string[],
  options: FromShardsOptions = {},
): ShardSource<Sample<F>> {
  checkOptionKeys('fromShards', options, FROM_SHARDS_KEYS);
  return new ShardSource<Sample<F>>(resolve(spec, options));
}

function resolve(spec: string | readonly string[], options: FromShardsOptions): Resolved {
  const urls = expandShardSpec(spec);
  const glob = urls.find((u) => /^(s3|gs):\/\//i.test(u) && /[*?[]/.test(u));
  if (glob)
    throw rangeError(ACTION, 'object store globs are listed asynchronously: pass await listShards(spec) instead', glob);
  if (options.allowPipe !== true) {
    const pipe = urls.find((u) => u.startsWith('pipe:'));
    if (pipe)
      throw rangeError(ACTION, 'pipe: shards run a shell command and need allowPipe: true (--allow-pipe)', pipe);
  }
  let seed = options.seed;
  if (seed === undefined) {
    seed = freshSeed();
    options.onSeed?.(seed);
  }
  checkInteger(ACTION, 'seed', seed, 0, 2 ** 32 - 1);
  let shuffle: Resolved['shuffle'] = null;
  if (options.shuffle !== undefined && options.shuffle !== 0) {
    const s = typeof options.shuffle === 'number' ? { size: options.shuffle } : options.shuffle;
    if (typeof s !== 'object' || s === null)
      throw typeError(ACTION, 'shuffle must be a number or {size, initial}', options.shuffle);
    const size = checkInteger(ACTION, 'shuffle size', s.size, 1);
    const initial = checkInteger(ACTION, 'shuffle initial', s.initial ?? size, 1);
    shuffle = { size, initial: Math.min(initial, size) };
  }
  const epochs = options.epochs ?? 1;
  if (epochs !== Infinity) checkInteger(ACTION, 'epochs', epochs, 1);
  if (options.samplesPerEpoch !== undefined) checkInteger(ACTION, 'samplesPerEpoch', options.samplesPerEpoch, 1);
  const env = options.rank === undefined || options.worldSize === undefined ? rankFromEnv() : undefined;
  const worldSize = checkInteger(ACTION, 'worldSize', options.worldSize ?? env?.worldSize ?? 1, 1);
  const rank = checkInteger(ACTION, 'rank', options.rank ?? env?.rank ?? 0, 0, worldSize - 1);
  const numWorkers = checkInteger(ACTION, 'numWorkers', options.numWorkers ?? 1, 1);
  const worker = checkInteger(ACTION, 'worker', options.worker ?? 0, 0, numWorkers - 1);
  if (options.readSize !== undefined) checkInteger(ACTION, 'readSize', options.readSize, 512, 1 << 30);
  if (options.http !== undefined) {
    if (typeof options.http !== 'object' || options.http === null)
      throw typeError(ACTION, 'http must be an object {retries, timeoutMs, backoffMs}', options.http);
    if (options.http.retries !== undefined) checkInteger(ACTION, 'http.retries', options.http.retries, 0, 1000);
    if (options.http.timeoutMs !== undefined) checkInteger(ACTION, 'http.timeoutMs', options.http.timeoutMs, 1);
    if (options.http.backoffMs !== undefined) checkInteger(ACTION, 'http.backoffMs', options.http.backoffMs, 0);
  }
  if (options.cacheDir !== undefined && (typeof options.cacheDir !== 'string' || options.cacheDir === ''))
    throw typeError(ACTION, 'cacheDir must be a folder path', options.cacheDir);
  if (options.cacheLimit !== undefined) checkInteger(ACTION, 'cacheLimit', options.cacheLimit, 1);
  if (options.onCacheEvent !== undefined && typeof options.onCacheEvent !== 'function')
    throw typeError(ACTION, 'onCacheEvent must be a function', options.onCacheEvent);
  // a rank or worker without a shard fails here, when the source is declared, not at the first read
  planShards(urls, 0, {
    seed,
    shuffleShards: false,
    resampled: options.resampled,
    equalLength: options.equalLength,
    rank,
    worldSize,
    worker,
    numWorkers,
  });
  return {
    urls,
    seed,
    shuffle,
    epochs,
    samplesPerEpoch: options.samplesPerEpoch,
    handler: resolveHandler(options.handler),
    rank,
    worldSize,
    worker,
    numWorkers,
    options,
  };
}

/**
 * See {@link fromShards}. `S` is the sample type it declares (`Sample`, any field, by default; the
 * fields are not checked at run time: declaring them is the user's promise about the shards).
 */
export class ShardSource<S extends SampleIdentity = Sample> extends Observable<S> {
  /** @internal Made by {@link fromShards}, which resolves and checks the options. */
  constructor(private readonly config: Resolved) {
    super((subscriber) => {
      const run = this.open({});
      const sub = run.samples.subscribe({
        next: (s) => {
          settleDelivered(s);
          subscriber.next(s as S);
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => sub.unsubscribe();
    });
  }

  /** The expanded shard URLs. */
  get urls(): readonly string[] {
    return this.config.urls;
  }

  /** The seed in use (given, or picked fresh and reported with `onSeed`). */
  get seed(): number {
    return this.config.seed;
  }

  /** Samples held by the source's own shuffle buffer at most. */
  get bufferSize(): number {
    return this.config.shuffle?.size ?? 0;
  }

  /** A copy with epochs of `n` samples each (WebDataset's `with_epoch`). */
  withEpoch(n: number): ShardSource<S> {
    return new ShardSource<S>(
      resolve(this.config.urls, {
        ...this.config.options,
        seed: this.config.seed,
        samplesPerEpoch: n,
        epochs: this.config.options.epochs ?? Infinity,
      }),
    );
  }

  /** A copy that runs `n` epochs (`Infinity`: forever). */
  repeat(n = Infinity): ShardSource<S> {
    return new ShardSource<S>(resolve(this.config.urls, { ...this.config.options, seed: this.config.seed, epochs: n }));
  }

  /** Starts a run: a cold Observable of samples bound to a fresh ledger. */
  open(options: SourceRunOptions): SourceRun {
    return openRun(this.config, options);
  }
}

function fingerprint(c: Resolved): string {
  const h = createHash('sha256');
  h.update(
    JSON.stringify([
      c.urls,
      c.seed,
      c.shuffle,
      c.samplesPerEpoch ?? null,
      c.rank,
      c.worldSize,
      c.worker,
      c.numWorkers,
      c.options.resampled ?? false,
      c.options.equalLength ?? false,
      c.options.shuffleShards ?? null,
    ]),
  );
  return h.digest('hex').slice(0, 16);
}

/** What a merge of states needs to know of this run: its slot, its plan and a fingerprint without the slot. */
function layoutOf(c: Resolved): SavedLayout {
  const h = createHash('sha256');
  h.update(
    JSON.stringify([
      c.urls,
      c.seed,
      c.shuffle,
      c.epochs === Infinity ? null : c.epochs,
      c.samplesPerEpoch ?? null,
      c.options.resampled ?? false,
      c.options.equalLength ?? false,
      c.options.shuffleShards ?? null,
    ]),
  );
  return {
    rank: c.rank,
    worldSize: c.worldSize,
    worker: c.worker,
    numWorkers: c.numWorkers,
    shards: c.urls.length,
    shuffleShards: c.options.shuffleShards ?? c.shuffle !== null,
    epochs: c.epochs === Infinity ? null : c.epochs,
    fingerprint: h.digest('hex').slice(0, 16),
  };
}

/**
 * This run's share of a merged state, as the state of a run of this rank that has read nothing of
 * the passes left yet: the samples dealt to it come first, then its shards of the passes left.
 */
function shareOf(merged: MergedLoaderState, c: Resolved, fp: string, layout: SavedLayout): LoaderState {
  const action = 'resume a loader from merged states';
  if (merged.version !== 1) throw rangeError(action, 'the state version must be 1', merged.version);
  if (merged.fingerprint !== layout.fingerprint || merged.shards !== c.urls.length || merged.seed !== c.seed)
    throw rangeError(
      action,
      `they were saved for other shards or options (expected fingerprint ${layout.fingerprint})`,
      merged.fingerprint,
    );
  if (c.samplesPerEpoch !== undefined || c.options.resampled || c.options.equalLength)
    throw rangeError(
      action,
      'samplesPerEpoch, resampled and equalLength runs cannot resume with another layout',
      'set',
    );
  const pending = merged.passes.flatMap((r) => slotTasks(merged, layout, c.seed, r.pass, c.rank, c.worker).replay);
  return {
    version: 1,
    fingerprint: fp,
    seed: c.seed,
    epoch: merged.nextPass,
    epochCount: 0,
    cursor: [merged.nextPass, 0, 0],
    pending,
    shuffle: c.shuffle
      ? { items: [], rng: Random.derive(c.seed, 'shuffle', merged.nextPass, c.rank, c.worker).state(), taken: 0 }
      : null,
    // the job's accounting goes on in its first rank; the others count from zero
    accounting:
      c.rank === 0 && c.worker === 0
        ? merged.accounting
        : { seen: 0, yielded: 0, skipped: {}, shardErrors: {}, errors: [] },
    layout,
    resumedFrom: merged,
  };
}

const pos = (p: Position): SavedPosition => [p.pass, p.shard, p.index];
const posKey = (p: SavedPosition): string => `${p[0]}/${p[1]}/${p[2]}`;

interface Item {
  readonly sample: Sample;
  readonly lineage: Lineage;
}

function openRun(c: Resolved, runOptions: SourceRunOptions): SourceRun {
  const fp = fingerprint(c);
  const layout = layoutOf(c);
  const given = runOptions.resumeFrom;
  const resume =
    typeof given === 'object' && given !== null && (given as { kind?: string }).kind === 'merged'
      ? shareOf(given as MergedLoaderState, c, fp, layout)
      : (given as LoaderState | undefined);
  if (resume) {
    if (typeof resume !== 'object' || resume === null)
      throw typeError('resume a loader', 'the state must be an object saved by state()', resume);
    if (resume.version !== 1) throw rangeError('resume a loader', 'the state version must be 1', resume.version);
    if (resume.fingerprint !== fp)
      throw rangeError(
        'resume a loader',
        `the state was saved for other shards or options (expected fingerprint ${fp})`,
        resume.fingerprint,
      );
  }
  const maxInFlight = runOptions.maxInFlight ?? Infinity;
  const ledger = new Ledger(maxInFlight, 10, resume?.accounting);
  const counters: ReadCounters = { entries: 0, bytes: 0 };
  const continuous = c.samplesPerEpoch !== undefined;
  const passes = continuous ? Infinity : c.epochs;
  const from: Position = resume
    ? { pass: resume.cursor[0], shard: resume.cursor[1], index: resume.cursor[2] }
    : { pass: 0, shard: 0, index: 0 };
  /** The merged state this run's first passes come from: their shards are its share of the remainder. */
  const origin = resume?.resumedFrom;
  const taskCache = new Map<number, ShardTask[]>();
  const tasks = origin
    ? (pass: number): ShardTask[] | undefined => {
        if (!origin.passes.some((r) => r.pass === pass)) return undefined;
        let t = taskCache.get(pass);
        if (!t) taskCache.set(pass, (t = slotTasks(origin, layout, c.seed, pass, c.rank, c.worker).tasks));
        return t;
      }
    : undefined;
  const lastOriginPass = origin?.passes.at(-1)?.pass ?? -1;
  const reader = new ShardReader({
    tasks,
    urls: c.urls,
    plan: {
      seed: c.seed,
      shuffleShards: c.options.shuffleShards ?? c.shuffle !== null,
      resampled: c.options.resampled,
      equalLength: c.options.equalLength,
      rank: c.rank,
      worldSize: c.worldSize,
      worker: c.worker,
      numWorkers: c.numWorkers,
    },
    open: c.options,
    handler: c.handler,
    ledger,
    counters,
    passes,
    from,
  });
  let epoch = resume?.epoch ?? 0;
  let epochCount = resume?.epochCount ?? 0;
  const shuffleRng = (e: number) => Random.derive(c.seed, 'shuffle', e, c.rank, c.worker);
  let buffer = c.shuffle ? new ShuffleBuffer<Item>(c.shuffle, shuffleRng(continuous ? 0 : epoch)) : null;
  /** Samples a saved state had emitted and not settled: emitted first on resume, in their order. */
  let replay: Item[] = [];
  let restored = resume === undefined;
  let subscribed = false;
  let readerEnded = false;
  /** Non-continuous mode: the reader has passed the end of the current epoch's pass. */
  let passDone = !continuous && from.pass > epoch;
  /** The run ended with samples left unread in the buffer (see Ledger.unread); they stay in the state, for a run with more epochs. */
  let ended = false;
  let finished = false;
  const held = () => (ended ? 0 : (buffer?.length ?? 0) + replay.length);
  // A sample the reader returned while the run was being closed is counted as seen (Ledger.read) but
  // never placed: it stays in transit. Counting it as held keeps `lost` at 0 after an early stop
  // (`--limit`, `take`, abort), whatever read was under way at the moment of the stop.
  ledger.trackHeld(() => held() + reader.inTransit());

  const state = (): LoaderState => {
    if (!restored && resume) return resume; // nothing happened yet
    const pending = ledger.inFlight().map((l) => pos(l));
    const buffered = buffer ? buffer.items.map((i) => pos(i.lineage)) : [];
    const replaying = replay.map((i) => pos(i.lineage));
    const unsettled = pending.length + held() + reader.inTransit();
    const cursor = pos(reader.cursor());
    let oldest = cursor[0];
    for (const list of [pending, buffered, replaying]) for (const p of list) oldest = Math.min(oldest, p[0]);
    return {
      version: 1,
      fingerprint: fp,
      seed: c.seed,
      epoch,
      epochCount,
      cursor,
      pending: [...pending, ...replaying],
      shuffle: buffer ? { items: buffered, rng: buffer.rngState(), taken: buffer.taken } : null,
      accounting: ledger.state(unsettled),
      layout,
      // kept while a position still lies in a pass whose shards the merged state decides
      ...(origin && oldest <= lastOriginPass ? { resumedFrom: origin } : {}),
    };
  };

  async function restore(): Promise<void> {
    if (!resume) return;
    const wanted = [...resume.pending, ...(resume.shuffle?.items ?? [])].map((p) => ({
      pass: p[0],
      shard: p[1],
      index: p[2],
    }));
    const found = wanted.length > 0 ? await reader.readAt(wanted) : new Map<string, Item>();
    const take = (p: SavedPosition): Item | undefined => {
      const item = found.get(posKey(p));
      ledger.read();
      if (!item)
        ledger.skippedAtSource(
          'resume-missing',
          new ShardError(
            'resume-missing',
            `Cannot re-read sample ${posKey(p)} (pass/shard/index) on resume: its shard changed or broke`,
            {},
          ),
        );
      return item;
    };
    replay = resume.pending.map(take).filter((x): x is Item => x !== undefined);
    if (buffer && resume.shuffle) {
      const items = resume.shuffle.items.map(take).filter((x): x is Item => x !== undefined);
      buffer.restore(Random.fromState(resume.shuffle.rng), items, resume.shuffle.taken);
    }
  }

  const samples = new Observable<Sample>((subscriber) => {
    if (subscribed) {
      subscriber.error(
        new RangeError(
          'Cannot subscribe to a source run twice as a run reads its shards once: open a new run (or iterate the loader again)',
        ),
      );
      return undefined;
    }
    subscribed = true;
    let closed = false;

    /** Hands one sample to the pipeline (synchronously after it was placed, so a state saved at any time is exact). */
    const emit = (item: Item, counted: boolean) => {
      if (counted) epochCount++;
      item.sample[LINEAGE] = item.lineage;
      ledger.emitted(item.lineage);
      subscriber.next(item.sample);
    };
    const endEpoch = () => {
      epoch++;
      epochCount = 0;
      passDone = false;
      if (buffer && !continuous && epoch < c.epochs)
        buffer = new ShuffleBuffer<Item>(c.shuffle as { size: number; initial: number }, shuffleRng(epoch));
    };

    /** One step: emits a sample or passes an epoch end. False at the end of the stream (or once closed). */
    const step = async (): Promise<boolean> => {
      const fromReplay = replay.shift();
      if (fromReplay) {
        emit(fromReplay, false); // counted in its epoch when first emitted
        return true;
      }
      if (epoch >= c.epochs) return false;
      if (continuous && epochCount >= c.samplesPerEpoch) {
        endEpoch();
        return true;
      }
      if (!buffer) {
        if (passDone) {
          endEpoch();
          return true;
        }
        const r = await reader.next();
        if (closed || r === null) return false;
        if ('passEnd' in r) {
          if (!continuous) endEpoch();
          return true;
        }
        reader.commit();
        emit(r, true);
        return true;
      }
      while (!readerEnded && !passDone && buffer.needsMore()) {
        const r = await reader.next();
        if (closed) return false;
        if (r === null) readerEnded = true;
        else if ('passEnd' in r) passDone = !continuous;
        else {
          reader.commit();
          buffer.add(r);
        }
      }
      if (buffer.length > 0) {
        emit(buffer.take(), true);
        return true;
      }
      if (readerEnded) return false;
      endEpoch();
      return true;
    };

    const loop = async () => {
      if (!restored) {
        await restore();
        restored = true;
      }
      while (!closed) {
        if (!ledger.hasCredit()) {
          await ledger.waitForCredit();
          continue;
        }
        if (!(await step())) break;
      }
      if (closed) return;
      if (held() > 0) {
        ledger.unread(held());
        ended = true;
      }
      finished = true;
      subscriber.complete();
    };
    loop().catch((err: unknown) => {
      if (!closed) subscriber.error(err);
    });
    return () => {
      closed = true;
      ledger.release();
      reader.close();
    };
  });

  return {
    samples,
    ledger,
    counters,
    get finished() {
      return finished;
    },
    state,
    accounting: () => ledger.accounting(),
  };
}
