import type { Readable } from 'node:stream';
import { ShardError, SampleError } from './errors.js';
import type { ErrorHandler } from './handlers.js';
import type { Ledger } from './ledger.js';
import { openShard, type OpenShardOptions } from './open-shard.js';
import type { ShardTask } from './loader-state.js';
import { LINEAGE, type Lineage, type Sample } from './sample.js';
import { planShards, type ShardPlanOptions } from './shard-plan.js';
import { readTarSamples, type ReadCounters, type ShardItem } from './tar-samples.js';

/** A place in the run's sample sequence: pass over the shards, shard index in that pass's plan, sample index in the shard. */
export interface Position {
  readonly pass: number;
  readonly shard: number;
  readonly index: number;
}

/** What the reader gives: a sample with its lineage, the end of a pass, or the end of everything. */
export type ReadResult = { readonly sample: Sample; readonly lineage: Lineage } | { readonly passEnd: number } | null;

/** Options of a {@link ShardReader}. */
export interface ShardReaderOptions {
  readonly urls: readonly string[];
  readonly plan: ShardPlanOptions;
  readonly open: OpenShardOptions;
  readonly handler: ErrorHandler;
  readonly ledger: Ledger;
  readonly counters: ReadCounters;
  /** Passes to read; Infinity repeats forever. */
  readonly passes: number;
  /** Where to start. @default {pass: 0, shard: 0, index: 0} */
  readonly from?: Position;
  /**
   * The shards of a pass as tasks (shard index in `urls`, first sample; -1: not read in order),
   * replacing the plan for the passes it answers (a run resumed from a merged state). @default the plan
   */
  readonly tasks?: (pass: number) => readonly ShardTask[] | undefined;
}

/**
 * Reads samples shard after shard, pass after pass, keeping a cursor (the next sample to read) so
 * that a saved state can restart exactly there. Errors go through the handler: a bad sample is
 * skipped and counted, a broken shard ends that shard (counted), `stop` ends the reader. With
 * endless passes, a whole pass that gives no sample ends the reader (reason `no-samples`), rather
 * than spinning over shards that all fail.
 *
 * The sample {@link next} returns is "in transit" until {@link commit}: the cursor and the transit
 * count still describe it as unread, so that a state saved before its caller placed it re-reads it.
 */
export class ShardReader {
  private readonly plans = new Map<number, string[]>();
  private iter: AsyncGenerator<ShardItem, void, undefined> | undefined;
  private stream: Readable | undefined;
  private pass: number;
  private shard: number;
  private index: number;
  /** The shard error already counted and decided with the sample it cut. */
  private reported: ShardError | undefined;
  private stopped = false;
  private closed = false;
  private transit: Position | undefined;
  /** Good samples returned in the current pass, and whether this run read the pass from its start. */
  private goodInPass = 0;
  private passFromStart: boolean;
  private emptyPasses = 0;

  constructor(private readonly options: ShardReaderOptions) {
    const from = options.from ?? { pass: 0, shard: 0, index: 0 };
    this.pass = from.pass;
    this.shard = from.shard;
    this.index = from.index;
    this.passFromStart = from.shard === 0 && from.index === 0;
  }

  /** The next sample to read (the sample in transit, if any). */
  cursor(): Position {
    return this.transit ?? { pass: this.pass, shard: this.shard, index: this.index };
  }

  /** 1 while the last sample returned by {@link next} is not committed, else 0 (it is counted as seen). */
  inTransit(): number {
    return this.transit ? 1 : 0;
  }

  /** The caller placed the sample {@link next} returned (emitted it, or put it in a buffer). */
  commit(): void {
    this.transit = undefined;
  }

  /** The shard URLs of one pass, in reading order. */
  plan(pass: number): string[] {
    let p = this.plans.get(pass);
    if (!p) {
      const tasks = this.options.tasks?.(pass);
      p = tasks
        ? tasks.map((t) => this.options.urls[t[0]] as string)
        : planShards(this.options.urls, pass, this.options.plan);
      this.plans.set(pass, p);
      for (const old of this.plans.keys()) if (old < pass - 2) this.plans.delete(old);
    }
    return p;
  }

  /** The next sample, the end of a pass, or null at the end (or once closed or stopped). */
  async next(): Promise<ReadResult> {
    const { ledger } = this.options;
    this.transit = undefined;
    for (;;) {
      if (this.stopped || this.closed || this.pass >= this.options.passes) return null;
      const shards = this.plan(this.pass);
      if (this.shard >= shards.length) return this.endPass(shards.length);
      const url = shards[this.shard] as string;
      let result: IteratorResult<ShardItem, void>;
      try {
        if (!this.iter) {
          const start = this.options.tasks?.(this.pass)?.[this.shard]?.[1] ?? 0;
          if (start < 0) {
            // a shard that only holds samples given to this rank one by one (re-read on resume)
            this.endShard();
            continue;
          }
          this.iter = await this.openAt(url, Math.max(this.index, start));
        }
        result = await this.iter.next();
      } catch (err) {
        if (this.closed) return null;
        this.endShard();
        const error = err instanceof ShardError ? err : new ShardError('shard-read', 'Cannot read shard', { url }, err);
        if (error === this.reported) continue; // counted and decided with the sample it cut
        ledger.shardError(error.reason, error);
        if (this.decide(error) === 'stop') return null;
        continue;
      }
      if (this.closed) return null;
      if (result.done) {
        this.endShard();
        continue;
      }
      const item = result.value;
      this.index = item.index + 1;
      ledger.read();
      if (item.kind === 'bad') {
        ledger.skippedAtSource(item.error.reason, item.error);
        if (item.error instanceof ShardError) {
          // the shard broke inside this sample: count the shard error now, whatever the handler does
          // (reraise throws below), and not again when the reader throws the same error next
          ledger.shardError(item.error.reason, item.error);
          this.reported = item.error;
        }
        if (this.decide(item.error) === 'stop') return null;
        continue;
      }
      this.goodInPass++;
      const lineage: Lineage = { ledger, pass: this.pass, shard: this.shard, index: item.index };
      this.transit = { pass: this.pass, shard: this.shard, index: item.index };
      return { sample: toSample(item, url, lineage), lineage };
    }
  }

  /**
   * Re-reads the samples at the given positions (for resume), without counting them as seen again.
   * Returns them by position key `pass/shard/index`; positions whose sample cannot be read are absent.
   */
  async readAt(positions: readonly Position[]): Promise<Map<string, { sample: Sample; lineage: Lineage }>> {
    const byShard = new Map<string, Set<number>>();
    for (const p of positions) {
      const k = `${p.pass}/${p.shard}`;
      let s = byShard.get(k);
      if (!s) byShard.set(k, (s = new Set()));
      s.add(p.index);
    }
    const found = new Map<string, { sample: Sample; lineage: Lineage }>();
    for (const [k, wanted] of byShard) {
      if (this.closed) break;
      const [pass, shard] = k.split('/').map(Number) as [number, number];
      const url = this.plan(pass)[shard];
      if (url === undefined) continue;
      let last = -1;
      for (const i of wanted) if (i > last) last = i;
      let iter: AsyncGenerator<ShardItem, void, undefined> | undefined;
      try {
        const stream = openShard(url, this.options.open);
        this.stream = stream;
        iter = readTarSamples(stream, url);
        for await (const item of iter) {
          if (item.kind === 'sample' && wanted.has(item.index)) {
            const lineage: Lineage = { ledger: this.options.ledger, pass, shard, index: item.index };
            found.set(`${pass}/${shard}/${item.index}`, { sample: toSample(item, url, lineage), lineage });
          }
          if (item.index >= last || this.closed) break;
        }
      } catch {
        // a shard that broke since: the missing samples are reported by the caller
      } finally {
        this.stream = undefined;
        await iter?.return(undefined).catch(() => undefined);
      }
    }
    return found;
  }

  /** Stops reading and releases the open shard (at once, even while a read waits on it). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const stream = this.stream;
    this.stream = undefined;
    stream?.destroy();
    const it = this.iter;
    this.iter = undefined;
    void it?.return(undefined).catch(() => undefined);
  }

  private async openAt(url: string, index: number): Promise<AsyncGenerator<ShardItem, void, undefined>> {
    const stream = openShard(url, this.options.open);
    this.stream = stream;
    const iter = readTarSamples(stream, url, this.options.counters);
    while (index > 0) {
      // samples before the cursor were settled by an earlier run: skip them, errors included
      const r = await iter.next();
      if (r.done || r.value.index >= index - 1) break;
    }
    return iter;
  }

  private endShard(): void {
    const it = this.iter;
    this.iter = undefined;
    this.stream = undefined;
    void it?.return(undefined).catch(() => undefined);
    this.shard++;
    this.index = 0;
  }

  private endPass(shards: number): ReadResult {
    const ended = this.pass;
    // a resumed pass holds what was left of it: it may be empty for this rank without anything wrong
    const empty = this.passFromStart && this.goodInPass === 0 && this.options.tasks?.(ended) === undefined;
    this.pass++;
    this.shard = 0;
    this.index = 0;
    this.goodInPass = 0;
    this.passFromStart = true;
    if (this.options.passes === Infinity) {
      this.emptyPasses = empty ? this.emptyPasses + 1 : 0;
      if (this.emptyPasses >= (this.options.plan.resampled ? 50 : 1)) {
        const error = new ShardError(
          'no-samples',
          `Cannot go on reading as ${this.emptyPasses === 1 ? 'a whole pass' : `${this.emptyPasses} whole passes`} over the ${shards} shard(s) gave no sample`,
          {},
        );
        this.options.ledger.shardError(error.reason, error);
        this.stopped = true;
        this.options.handler(error); // reraise throws; any other decision stops: there is nothing left to read
        return null;
      }
    }
    return { passEnd: ended };
  }

  private decide(error: SampleError): 'continue' | 'stop' {
    const decision = this.options.handler(error);
    if (decision === 'stop') this.stopped = true;
    return decision;
  }
}

function toSample(item: Extract<ShardItem, { kind: 'sample' }>, url: string, lineage: Lineage): Sample {
  const sample: Sample = { __key__: item.key, __url__: url };
  for (const [field, value] of item.fields) sample[field] = value;
  sample[LINEAGE] = lineage;
  return sample;
}
