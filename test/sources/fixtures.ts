/**
 * Shared helpers of the sources tests: shards written by our ShardWriter, a tiny batching operator
 * that follows the lineage rules (the real `batch` lives in operators/), and collectors.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { ShardWriter } from '../../sources/shard-writer.js';
import { holding, type HoldsSamples } from '../../sources/loader.js';
import { LINEAGE, lineagesOf, type Lineage, type Sample } from '../../sources/sample.js';
import type { ShardItem } from '../../sources/tar-samples.js';
import { writeTarWithPython } from '../helpers/python-tar.js';

/** A test batch: `__key__` lists member keys, `[LINEAGE]` all member lineages. */
export interface TestBatch {
  __key__: string[];
  __url__: string[];
  [LINEAGE]: readonly Lineage[];
}

/**
 * Groups samples by `n` (the last batch may be short), holding up to `n` samples (declared with
 * `holding`), carrying every member's lineage, as the lineage rules ask of a batching operator.
 */
export function testBatch(n: number): OperatorFunction<Sample, TestBatch> & HoldsSamples {
  return holding(
    n,
    (source: Observable<Sample>) =>
      new Observable<TestBatch>((subscriber) => {
        let members: Sample[] = [];
        const flush = () => {
          const b: TestBatch = {
            __key__: members.map((m) => m.__key__),
            __url__: members.map((m) => m.__url__),
            [LINEAGE]: members.flatMap((m) => lineagesOf(m)),
          };
          members = [];
          subscriber.next(b);
        };
        const sub = source.subscribe({
          next: (s) => {
            members.push(s);
            if (members.length === n) flush();
          },
          error: (e) => subscriber.error(e),
          complete: () => {
            if (members.length > 0) flush();
            subscriber.complete();
          },
        });
        return () => sub.unsubscribe();
      }),
  );
}

/** The key of a sample `s<shard>-<index>` as {@link writeShards} writes them. */
export function keyOf(shard: number, index: number): string {
  return `s${shard}-${String(index).padStart(5, '0')}`;
}

/**
 * Writes `shards` shards of `perShard` samples each (`cls` = index text, `txt` = key text, plus a
 * `bin` of `binBytes` bytes) with our ShardWriter; returns the brace spec and all keys in tar order.
 */
export async function writeShards(
  dir: string,
  shards: number,
  perShard: number,
  options: { binBytes?: number; prefix?: string } = {},
): Promise<{ spec: string; keys: string[]; paths: string[] }> {
  const prefix = options.prefix ?? 'shard';
  const keys: string[] = [];
  const paths: string[] = [];
  for (let s = 0; s < shards; s++) {
    const w = new ShardWriter(join(dir, `${prefix}-%03d.tar`), { startIndex: s });
    for (let i = 0; i < perShard; i++) {
      const key = keyOf(s, i);
      keys.push(key);
      const sample: Record<string, unknown> = { __key__: key, cls: String(i), txt: key };
      if (options.binBytes) sample['bin'] = Buffer.alloc(options.binBytes, i & 0xff);
      await w.write(sample as { __key__: string });
    }
    paths.push(...(await w.close()));
  }
  const last = String(shards - 1).padStart(3, '0');
  return { spec: join(dir, `${prefix}-{000..${last}}.tar`), keys, paths };
}

/** Every item of a readTarSamples generator (stops at the error, returned with the items). */
export async function drain(
  gen: AsyncGenerator<ShardItem, void, undefined>,
): Promise<{ items: ShardItem[]; error?: unknown }> {
  const items: ShardItem[] = [];
  try {
    for await (const item of gen) items.push(item);
  } catch (error) {
    return { items, error };
  }
  return { items };
}

/** The keys of an item (a sample's key, or a batch's keys). */
export function keysOf(item: unknown): string[] {
  const k = (item as { __key__: string | string[] }).__key__;
  return Array.isArray(k) ? k : [k];
}

/** Resolves after `turns` macrotask turns (lets every pending read settle; not a timing assertion). */
export async function quiet(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 20));
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Open file descriptors once they have settled at or below `target`, or the count after `ms`.
 * Closing is asynchronous (libuv's thread pool, child pipes), and a loaded machine can take longer
 * than a fixed number of turns; a leak still fails, since the count then never comes down.
 */
export async function settledFds(target: number, ms = 5000): Promise<number> {
  const deadline = Date.now() + ms;
  let count = openFds();
  while (count > target && Date.now() < deadline) {
    await quiet(1);
    await new Promise((r) => setTimeout(r, 25));
    count = openFds();
  }
  return count;
}

/** Writes (with Python's tarfile) a shard whose sample `b` repeats its `txt` field, between good samples `a` and `c`. */
export function writeDuplicateFieldTar(path: string): string {
  writeTarWithPython(path, [
    { name: 'a.txt', data: Buffer.from('a') },
    { name: 'b.txt', data: Buffer.from('1') },
    { name: 'b.txt', data: Buffer.from('2') },
    { name: 'c.txt', data: Buffer.from('c') },
  ]);
  return path;
}
