import type { AccountingState } from './ledger.js';
import { rangeError, typeError } from './errors.js';
import type { LoaderState, MergedLoaderState, SavedPosition, ShardTask } from './loader-state.js';
import { planShardIndices } from './shard-plan.js';

const ACTION = 'merge loader states';

/**
 * Merges the states saved by every rank (and worker) of a stopped job into one
 * {@link MergedLoaderState}, so that the job resumes with another number of ranks: each new rank
 * passes the merged state as `resumeFrom` and reads a deterministic share of what no old rank had
 * delivered; the shares are disjoint and their union is exactly that remainder, each sample once.
 *
 * The contract (compare MosaicML streaming's `num_canonical_nodes`, which keeps the global order
 * fixed across node counts by planning for a canonical count): ndaflow keeps the *set*, not the
 * order. Within the passes that were in progress when the job stopped (from the oldest pass a rank
 * or an undelivered sample was in, to the newest pass a rank had started), the new ranks deliver
 * the remainder in another order: first the samples that were read and not delivered (in flight, in
 * shuffle buffers), dealt one by one round robin, then the unread shards and shard tails, dealt
 * round robin, each new rank shuffling its share with its own buffer. Every later pass is exactly
 * the pass of a job that had started with the new number of ranks.
 *
 * Every state must come from the same shards and options (same seed, shuffle, epochs), from one
 * job layout (same world size and workers), one per slot and none missing. Runs with
 * `samplesPerEpoch`, `resampled` or `equalLength` cannot be merged: their passes re-read or draw
 * shards, so "not yet delivered" has no meaning across ranks. The merged state's size grows with the
 * shards left in the stopped passes and the samples buffered (a few bytes each); each rank's own
 * state stays as small as before. Merging is deterministic and independent of the order of `states`.
 *
 * @example
 * // each of the 4 old ranks saved it.state(); a job of 6 ranks resumes:
 * const merged = mergeLoaderStates(states);
 * const it = createLoader(fromShards(spec, { seed, rank, worldSize: 6 }), ...ops).iterate({ resumeFrom: merged });
 * @throws TypeError for a value that is not a list of saved states; RangeError for states that
 *   cannot be merged (saved before layouts were recorded, other shards or options, mixed layouts,
 *   a slot missing or twice, or a mode listed above).
 */
export function mergeLoaderStates(states: readonly LoaderState[]): MergedLoaderState {
  const given: unknown = states; // checked, for callers without types
  if (!Array.isArray(given)) throw typeError(ACTION, 'they must be a list of states saved by state()', states);
  if (states.length === 0) throw rangeError(ACTION, 'there must be at least one state', 0);
  const layouts = states.map((s, i) => {
    if (typeof s !== 'object' || s === null || s.version !== 1)
      throw typeError(ACTION, `state ${i} must be a loader state of version 1`, s);
    if ((s as { kind?: string }).kind === 'merged')
      throw rangeError(ACTION, `state ${i} is merged already: resume from it, then merge the new states`, 'merged');
    if (!s.layout)
      throw rangeError(ACTION, `state ${i} must record its layout (it was saved by an older ndaflow)`, 'no layout');
    return s.layout;
  });
  const first = layouts[0]!; // states is not empty (checked above)
  const seed = states[0]!.seed;
  for (const [i, l] of layouts.entries()) {
    if (l.fingerprint !== first.fingerprint)
      throw rangeError(ACTION, `state ${i} comes from other shards or options than state 0`, l.fingerprint);
    if (l.worldSize !== first.worldSize || l.numWorkers !== first.numWorkers)
      throw rangeError(
        ACTION,
        `state ${i} comes from another layout than state 0 (${first.worldSize} rank(s) x ${first.numWorkers} worker(s))`,
        `${l.worldSize} x ${l.numWorkers}`,
      );
    if (states[i]!.seed !== seed) throw rangeError(ACTION, `state ${i} has another seed`, states[i]!.seed);
  }
  const slots = first.worldSize * first.numWorkers;
  const bySlot = new Map<number, LoaderState>();
  for (const s of states) {
    const slot = s.layout!.rank * s.layout!.numWorkers + s.layout!.worker;
    if (bySlot.has(slot))
      throw rangeError(
        ACTION,
        'each rank and worker must be given once',
        `rank ${s.layout!.rank} worker ${s.layout!.worker} twice`,
      );
    bySlot.set(slot, s);
  }
  const missing = Array.from({ length: slots }, (_, i) => i).filter((i) => !bySlot.has(i));
  if (missing.length > 0)
    throw rangeError(
      ACTION,
      `every rank and worker of the job must be given, or its samples would be lost (${slots} slots)`,
      `missing slot(s) ${missing.slice(0, 10).join(', ')} (slot = rank * numWorkers + worker)`,
    );
  const ordered = [...bySlot.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);

  const epochsEnd = first.epochs ?? Infinity;
  let nextPass = Infinity;
  let lastPass = -1;
  for (const s of ordered) {
    nextPass = Math.min(nextPass, s.cursor[0]);
    for (const p of [...s.pending, ...(s.shuffle?.items ?? [])]) nextPass = Math.min(nextPass, p[0]);
    lastPass = Math.max(lastPass, s.epoch);
    const origin = s.resumedFrom;
    if (origin && origin.passes.length > 0) lastPass = Math.max(lastPass, origin.passes.at(-1)!.pass);
  }
  lastPass = Math.min(lastPass, epochsEnd - 1);

  const passes: { pass: number; shards: ShardTask[]; samples: [number, number][] }[] = [];
  for (let p = nextPass; p <= lastPass; p++) passes.push({ pass: p, shards: [], samples: [] });
  const at = (pass: number) => passes[pass - nextPass];
  for (const s of ordered) {
    const l = s.layout!;
    const tasks = (pass: number) => slotTasks(s.resumedFrom, l, s.seed, pass, l.rank, l.worker).tasks;
    const sample = (p: SavedPosition) => {
      const task = tasks(p[0])[p[1]];
      if (!task)
        throw rangeError(
          ACTION,
          `a position of rank ${l.rank} worker ${l.worker} names no shard of its plan`,
          p.join('/'),
        );
      const remainder = at(p[0]);
      if (!remainder)
        throw rangeError(
          ACTION,
          `a position of rank ${l.rank} worker ${l.worker} lies outside the passes left`,
          p.join('/'),
        );
      remainder.samples.push([task[0], p[2]]);
    };
    for (const p of s.pending) sample(p);
    for (const p of s.shuffle?.items ?? []) sample(p);
    const [cp, cs, ci] = s.cursor;
    for (let p = Math.max(cp, nextPass); p <= lastPass; p++) {
      const list = tasks(p);
      for (let t = p === cp ? cs : 0; t < list.length; t++) {
        const [shard, from] = list[t]!;
        if (from < 0) continue;
        at(p)!.shards.push([shard, p === cp && t === cs ? Math.max(from, ci) : from]);
      }
    }
  }
  return {
    version: 1,
    kind: 'merged',
    fingerprint: first.fingerprint,
    seed,
    shards: first.shards,
    from: { worldSize: first.worldSize, numWorkers: first.numWorkers },
    passes,
    nextPass: Number.isFinite(nextPass) ? Math.min(nextPass, lastPass + 1) : 0,
    accounting: sumAccounting(ordered.map((s) => s.accounting)),
  };
}

/** The plan parameters a slot's tasks depend on. */
interface PlanLayout {
  readonly worldSize: number;
  readonly numWorkers: number;
  readonly shards: number;
  readonly shuffleShards: boolean;
}

/**
 * The shards a slot reads in one pass, as tasks: its share of a merged state's remainder for the
 * passes that state covers (with the samples dealt to it as `[pass, task, index]` positions, to be
 * re-read first), else its ordinary plan. Deterministic: every rank computes every other rank's share alike.
 * @internal
 */
export function slotTasks(
  origin: MergedLoaderState | undefined,
  layout: PlanLayout,
  seed: number,
  pass: number,
  rank: number,
  worker: number,
): { tasks: ShardTask[]; replay: SavedPosition[] } {
  const remainder = origin?.passes.find((r) => r.pass === pass);
  if (!remainder) {
    const plan = planShardIndices(layout.shards, pass, { ...layout, seed, rank, worker });
    return { tasks: plan.map((i) => [i, 0] as const), replay: [] };
  }
  const slots = layout.worldSize * layout.numWorkers;
  const slot = rank * layout.numWorkers + worker;
  const tasks: ShardTask[] = remainder.shards.filter((_, i) => i % slots === slot);
  const replay: SavedPosition[] = [];
  const sampleTask = new Map<number, number>();
  // samples continue the deal where the shards stopped, so that few shards and few samples still spread
  const offset = remainder.shards.length;
  for (const [i, [shard, index]] of remainder.samples.entries()) {
    if ((i + offset) % slots !== slot) continue;
    let t = sampleTask.get(shard);
    if (t === undefined) {
      t = tasks.length;
      tasks.push([shard, -1]);
      sampleTask.set(shard, t);
    }
    replay.push([pass, t, index]);
  }
  return { tasks, replay };
}

function sumAccounting(all: readonly AccountingState[]): AccountingState {
  const add = (into: Record<string, number>, from: Readonly<Record<string, number>>) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  const skipped: Record<string, number> = {};
  const shardErrors: Record<string, number> = {};
  for (const a of all) {
    add(skipped, a.skipped);
    add(shardErrors, a.shardErrors);
  }
  return {
    seen: all.reduce((n, a) => n + a.seen, 0),
    yielded: all.reduce((n, a) => n + a.yielded, 0),
    skipped,
    shardErrors,
    errors: all.flatMap((a) => a.errors).slice(0, 10),
  };
}
