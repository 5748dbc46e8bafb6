import { ShardError, SampleError } from './errors.js';
import type { ErrorHandler } from './handlers.js';
import type { Ledger } from './ledger.js';
import { openShard, type OpenShardOptions } from './open-shard.js';
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
}

/**
 * Reads samples shard after shard, pass after pass, keeping a cursor (the next sample to read) so
 * that a saved state can restart exactly there. Errors go through the handler: a bad sample is
 * skipped and counted, a broken shard ends that shard (counted), `stop` ends the reader.
 */
export class ShardReader {
  private readonly plans = new Map<number, string[]>();
  private iter: AsyncGenerator<ShardItem, void, undefined> | undefined;
  private pass: number;
  private shard: number;
  private index: number;
  private stopped = false;
  private closed = false;

  constructor(private readonly options: ShardReaderOptions) {
    const from = options.from ?? { pass: 0, shard: 0, index: 0 };
    this.pass = from.pass;
    this.shard = from.shard;
    this.index = from.index;
  }

  /** The next sample to read. */
  cursor(): Position {
    return { pass: this.pass, shard: this.shard, index: this.index };
  }

  /** The shard URLs of one pass, in reading order. */
  plan(pass: number): string[] {
    let p = this.plans.get(pass);
    if (!p) {
      p = planShards(this.options.urls, pass, this.options.plan);
      this.plans.set(pass, p);
      for (const old of this.plans.keys()) if (old < pass - 2) this.plans.delete(old);
    }
    return p;
  }

  async next(): Promise<ReadResult> {
    const { ledger, handler } = this.options;
    for (;;) {
      if (this.stopped || this.closed || this.pass >= this.options.passes) return null;
      const shards = this.plan(this.pass);
      if (this.shard >= shards.length) {
        const ended = this.pass;
        this.pass++;
        this.shard = 0;
        this.index = 0;
        return { passEnd: ended };
      }
      const url = shards[this.shard] as string;
      let result: IteratorResult<ShardItem, void>;
      try {
        if (!this.iter) this.iter = await this.openAt(url, this.index);
        result = await this.iter.next();
      } catch (err) {
        if (this.closed) return null;
        this.endShard();
        const error = err instanceof ShardError ? err : new ShardError('shard-read', 'Cannot read shard', { url }, err);
        ledger.shardError(error.reason, error);
        if (this.decide(error) === 'stop') return null;
        continue;
      }
      if (result.done) {
        this.endShard();
        continue;
      }
      const item = result.value;
      this.index = item.index + 1;
      ledger.read();
      if (item.kind === 'bad') {
        ledger.skippedAtSource(item.error.reason, item.error);
        if (this.decide(item.error) === 'stop') return null;
        continue;
      }
      const lineage: Lineage = { ledger, pass: this.pass, shard: this.shard, index: item.index };
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
      const [pass, shard] = k.split('/').map(Number) as [number, number];
      const url = this.plan(pass)[shard];
      if (url === undefined) continue;
      const last = Math.max(...wanted);
      const iter = readTarSamples(openShard(url, this.options.open), url);
      try {
        for await (const item of iter) {
          if (item.kind === 'sample' && wanted.has(item.index)) {
            const lineage: Lineage = { ledger: this.options.ledger, pass, shard, index: item.index };
            found.set(`${pass}/${shard}/${item.index}`, { sample: toSample(item, url, lineage), lineage });
          }
          if (item.index >= last) break;
        }
      } catch {
        // a shard that broke since: the missing samples are reported by the caller
      } finally {
        await iter.return(undefined);
      }
    }
    return found;
  }

  /** Stops reading and releases the open shard. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const it = this.iter;
    this.iter = undefined;
    void it?.return(undefined).catch(() => undefined);
  }

  private async openAt(url: string, index: number): Promise<AsyncGenerator<ShardItem, void, undefined>> {
    const iter = readTarSamples(openShard(url, this.options.open), url, this.options.counters);
    while (index > 0) {
      const r = await iter.next();
      if (r.done || r.value.index >= index - 1) break;
    }
    return iter;
  }

  private endShard(): void {
    const it = this.iter;
    this.iter = undefined;
    void it?.return(undefined).catch(() => undefined);
    this.shard++;
    this.index = 0;
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

