import { rangeError } from './errors.js';

/** Where this process sits in a distributed job. */
export interface RankInfo {
  readonly rank: number;
  readonly worldSize: number;
}

function intVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n))
    throw rangeError('read the launcher environment', `${name} must be a non-negative integer`, raw);
  return n;
}

/**
 * The rank and world size that existing launchers set, read when called (never at import):
 * `RANK`/`WORLD_SIZE` (torchrun, most cluster launchers), else Kubernetes indexed Jobs'
 * `JOB_COMPLETION_INDEX` (with `WORLD_SIZE`, or else `JOB_COMPLETIONS` when the user exports it),
 * else a single process (rank 0 of 1).
 */
export function rankFromEnv(env: NodeJS.ProcessEnv = process.env): RankInfo {
  const rank = intVar(env, 'RANK') ?? intVar(env, 'JOB_COMPLETION_INDEX') ?? 0;
  const worldSize = intVar(env, 'WORLD_SIZE') ?? intVar(env, 'JOB_COMPLETIONS') ?? 1;
  if (worldSize < 1) throw rangeError('read the launcher environment', 'WORLD_SIZE must be >= 1', worldSize);
  if (rank >= worldSize) {
    throw rangeError(
      'read the launcher environment',
      `the rank must be below the world size ${worldSize} (set WORLD_SIZE, or JOB_COMPLETIONS for an indexed Job)`,
      rank,
    );
  }
  return { rank, worldSize };
}
