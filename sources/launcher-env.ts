import { rangeError } from './errors.js';

/**
 * The launcher a rank was read from: `torchrun` (`RANK`/`WORLD_SIZE`, also set by most cluster
 * launchers and by hand), `slurm` (`srun`), `openmpi` (`mpirun`), `indexed-job` (a Kubernetes
 * indexed Job) or `none` (a single process).
 */
export type LauncherName = 'torchrun' | 'slurm' | 'openmpi' | 'indexed-job' | 'none';

/** Where this process sits in a distributed job, and where that was read from. */
export interface RankInfo {
  /** This process's rank in [0, worldSize). */
  readonly rank: number;
  /** Number of ranks. */
  readonly worldSize: number;
  /** This process's rank on its node (for per-node work: one download, one cache warmer). @default 0 */
  readonly localRank: number;
  /** Ranks on this node, when the launcher says (`LOCAL_WORLD_SIZE`, `OMPI_COMM_WORLD_LOCAL_SIZE`); else undefined. */
  readonly localWorldSize?: number;
  /** The launcher whose variables were used. */
  readonly source: LauncherName;
  /** The variables read, in the order rank, world size, local rank (for the log line). */
  readonly variables: readonly string[];
}

interface Convention {
  readonly source: Exclude<LauncherName, 'none'>;
  readonly rank: string;
  readonly worldSize: readonly string[];
  readonly localRank?: string;
  readonly localWorldSize?: string;
}

/**
 * The conventions in their order of precedence: the first whose rank variable is set wins, so an
 * explicit `RANK` (torchrun, or set by hand inside a Slurm or MPI job) overrides the scheduler's own.
 */
const CONVENTIONS: readonly Convention[] = [
  {
    source: 'torchrun',
    rank: 'RANK',
    worldSize: ['WORLD_SIZE'],
    localRank: 'LOCAL_RANK',
    localWorldSize: 'LOCAL_WORLD_SIZE',
  },
  { source: 'slurm', rank: 'SLURM_PROCID', worldSize: ['SLURM_NTASKS', 'SLURM_NPROCS'], localRank: 'SLURM_LOCALID' },
  {
    source: 'openmpi',
    rank: 'OMPI_COMM_WORLD_RANK',
    worldSize: ['OMPI_COMM_WORLD_SIZE'],
    localRank: 'OMPI_COMM_WORLD_LOCAL_RANK',
    localWorldSize: 'OMPI_COMM_WORLD_LOCAL_SIZE',
  },
  // one pod per index: the local rank is 0 unless the pod sets LOCAL_RANK itself
  {
    source: 'indexed-job',
    rank: 'JOB_COMPLETION_INDEX',
    worldSize: ['WORLD_SIZE', 'JOB_COMPLETIONS'],
    localRank: 'LOCAL_RANK',
  },
];

const ACTION = 'read the launcher environment';

function intVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw rangeError(ACTION, `${name} must be a non-negative integer`, raw);
  return n;
}

/**
 * The rank, world size and local rank that existing launchers set, read when called (never at
 * import). Precedence, first set rank variable wins:
 *
 * 1. torchrun: `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `LOCAL_WORLD_SIZE`
 * 2. Slurm (`srun`): `SLURM_PROCID`, `SLURM_NTASKS` (else `SLURM_NPROCS`), `SLURM_LOCALID`
 * 3. OpenMPI (`mpirun`): `OMPI_COMM_WORLD_RANK`, `OMPI_COMM_WORLD_SIZE`, `OMPI_COMM_WORLD_LOCAL_RANK`,
 *    `OMPI_COMM_WORLD_LOCAL_SIZE`
 * 4. Kubernetes indexed Job: `JOB_COMPLETION_INDEX`, with `WORLD_SIZE` or else `JOB_COMPLETIONS`
 *    (Kubernetes does not set the count: export it from the Job's `completions`)
 * 5. none: rank 0 of 1.
 *
 * The library never prints: the result names its `source` and `variables` so that the caller (the
 * CLI does) logs them. Use `localRank` for work done once per node.
 *
 * @example
 * const { rank, worldSize, source } = rankFromEnv(); // under srun -n 8: rank 0..7 of 8, 'slurm'
 * @throws RangeError for a malformed value, a world size below 1, a rank outside the world, a world
 *   size without any rank variable (every process would read as rank 0), or a local rank at or
 *   above the local world size.
 */
export function rankFromEnv(env: NodeJS.ProcessEnv = process.env): RankInfo {
  for (const c of CONVENTIONS) {
    const rank = intVar(env, c.rank);
    if (rank === undefined) continue;
    const variables = [c.rank];
    let worldSize: number | undefined;
    for (const name of c.worldSize) {
      worldSize = intVar(env, name);
      if (worldSize !== undefined) {
        variables.push(name);
        break;
      }
    }
    worldSize ??= 1;
    if (worldSize < 1) throw rangeError(ACTION, `${variables[1] ?? c.worldSize[0]} must be >= 1`, worldSize);
    if (rank >= worldSize) {
      throw rangeError(
        ACTION,
        `${c.rank} must be below the world size ${worldSize} (${c.worldSize.join(' or ')}${c.source === 'indexed-job' ? ": export the Job's completions as JOB_COMPLETIONS" : ''})`,
        rank,
      );
    }
    const localRank = c.localRank === undefined ? undefined : intVar(env, c.localRank);
    if (localRank !== undefined) variables.push(c.localRank as string);
    const localWorldSize = c.localWorldSize === undefined ? undefined : intVar(env, c.localWorldSize);
    if (localWorldSize !== undefined && (localWorldSize < 1 || (localRank ?? 0) >= localWorldSize))
      throw rangeError(ACTION, `${c.localRank} must be below ${c.localWorldSize} ${localWorldSize}`, localRank ?? 0);
    return {
      rank,
      worldSize,
      localRank: localRank ?? 0,
      ...(localWorldSize === undefined ? {} : { localWorldSize }),
      source: c.source,
      variables,
    };
  }
  const worldSize = intVar(env, 'WORLD_SIZE');
  if (worldSize !== undefined && worldSize !== 1)
    throw rangeError(
      ACTION,
      'WORLD_SIZE must come with a rank (RANK, SLURM_PROCID, OMPI_COMM_WORLD_RANK or JOB_COMPLETION_INDEX), or every process would read as rank 0',
      worldSize,
    );
  return { rank: 0, worldSize: 1, localRank: 0, source: 'none', variables: [] };
}

/**
 * One line describing a {@link RankInfo}, for logs: `rank 2 of 8 (local rank 0) from slurm
 * (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID)`, or `single process (no launcher variables)`.
 */
export function describeRank(info: RankInfo): string {
  if (info.source === 'none') return 'single process (no launcher variables)';
  const local =
    info.localWorldSize === undefined
      ? `local rank ${info.localRank}`
      : `local rank ${info.localRank} of ${info.localWorldSize}`;
  return `rank ${info.rank} of ${info.worldSize} (${local}) from ${info.source} (${info.variables.join(', ')})`;
}

/** Which part of an array job this process is (see {@link partFromEnv}). */
export interface ArrayTaskInfo {
  /** This task, in [0, count). */
  readonly index: number;
  /** Number of tasks. */
  readonly count: number;
  /** `slurm-array` (`SLURM_ARRAY_TASK_ID`), or the launcher {@link rankFromEnv} found. */
  readonly source: LauncherName | 'slurm-array';
  /** The variables read. */
  readonly variables: readonly string[];
}

/**
 * The task of an array job, read when called: a Slurm job array first (`SLURM_ARRAY_TASK_ID` minus
 * `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`; the array must be contiguous, step 1), else
 * the rank and world size of {@link rankFromEnv} (a Kubernetes indexed Job's `JOB_COMPLETION_INDEX`
 * of `JOB_COMPLETIONS`, torchrun, `srun`, `mpirun`), else task 0 of 1. Used by `prepare --part auto`.
 *
 * @example partFromEnv({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '4' }) // index 2 of 4
 * @throws RangeError for malformed values, a task outside the array, or a stepped array.
 */
export function partFromEnv(env: NodeJS.ProcessEnv = process.env): ArrayTaskInfo {
  const id = intVar(env, 'SLURM_ARRAY_TASK_ID');
  if (id !== undefined) {
    const min = intVar(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
    const count = intVar(env, 'SLURM_ARRAY_TASK_COUNT');
    const max = intVar(env, 'SLURM_ARRAY_TASK_MAX');
    const step = intVar(env, 'SLURM_ARRAY_TASK_STEP') ?? 1;
    if (count === undefined || count < 1)
      throw rangeError(ACTION, 'SLURM_ARRAY_TASK_ID must come with SLURM_ARRAY_TASK_COUNT >= 1', count ?? 'unset');
    if (step !== 1 || (max !== undefined && max - min + 1 !== count))
      throw rangeError(
        ACTION,
        'the Slurm array must be contiguous (--array=0-N, no step or list) to split the preparation',
        `min ${min} max ${max ?? '?'} step ${step} count ${count}`,
      );
    const index = id - min;
    if (index < 0 || index >= count)
      throw rangeError(ACTION, `SLURM_ARRAY_TASK_ID must lie in [${min}, ${min + count - 1}]`, id);
    return {
      index,
      count,
      source: 'slurm-array',
      variables: ['SLURM_ARRAY_TASK_ID', 'SLURM_ARRAY_TASK_MIN', 'SLURM_ARRAY_TASK_COUNT'],
    };
  }
  const r = rankFromEnv(env);
  return { index: r.rank, count: r.worldSize, source: r.source, variables: r.variables.slice(0, 2) };
}
