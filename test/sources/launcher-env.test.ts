import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeRank, rankFromEnv } from '../../sources/launcher-env.js';

const pick = (env: NodeJS.ProcessEnv) => {
  const r = rankFromEnv(env);
  return { rank: r.rank, worldSize: r.worldSize, localRank: r.localRank, source: r.source };
};

describe('rankFromEnv', () => {
  it('reads RANK, WORLD_SIZE and LOCAL_RANK (torchrun)', () => {
    assert.deepEqual(rankFromEnv({ RANK: '2', WORLD_SIZE: '4', LOCAL_RANK: '0', LOCAL_WORLD_SIZE: '2' }), {
      rank: 2,
      worldSize: 4,
      localRank: 0,
      localWorldSize: 2,
      source: 'torchrun',
      variables: ['RANK', 'WORLD_SIZE', 'LOCAL_RANK'],
    });
  });

  it('reads Slurm: SLURM_PROCID, SLURM_NTASKS (else SLURM_NPROCS), SLURM_LOCALID', () => {
    assert.deepEqual(pick({ SLURM_PROCID: '5', SLURM_NTASKS: '8', SLURM_LOCALID: '1' }), {
      rank: 5,
      worldSize: 8,
      localRank: 1,
      source: 'slurm',
    });
    assert.deepEqual(pick({ SLURM_PROCID: '2', SLURM_NPROCS: '3' }), {
      rank: 2,
      worldSize: 3,
      localRank: 0,
      source: 'slurm',
    });
  });

  it('reads OpenMPI: OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK, _LOCAL_SIZE', () => {
    const r = rankFromEnv({
      OMPI_COMM_WORLD_RANK: '3',
      OMPI_COMM_WORLD_SIZE: '4',
      OMPI_COMM_WORLD_LOCAL_RANK: '1',
      OMPI_COMM_WORLD_LOCAL_SIZE: '2',
    });
    assert.deepEqual([r.rank, r.worldSize, r.localRank, r.localWorldSize, r.source], [3, 4, 1, 2, 'openmpi']);
  });

  it('reads Kubernetes indexed Jobs: JOB_COMPLETION_INDEX with WORLD_SIZE or JOB_COMPLETIONS', () => {
    assert.deepEqual(pick({ JOB_COMPLETION_INDEX: '3', JOB_COMPLETIONS: '5' }), {
      rank: 3,
      worldSize: 5,
      localRank: 0,
      source: 'indexed-job',
    });
    assert.deepEqual(pick({ JOB_COMPLETION_INDEX: '1', WORLD_SIZE: '2', JOB_COMPLETIONS: '9' }).worldSize, 2);
  });

  it('takes torchrun first, then Slurm, then OpenMPI, then the indexed Job', () => {
    const all = {
      RANK: '0',
      WORLD_SIZE: '8',
      SLURM_PROCID: '1',
      SLURM_NTASKS: '4',
      OMPI_COMM_WORLD_RANK: '2',
      OMPI_COMM_WORLD_SIZE: '3',
      JOB_COMPLETION_INDEX: '4',
      JOB_COMPLETIONS: '6',
    };
    assert.deepEqual(pick(all), { rank: 0, worldSize: 8, localRank: 0, source: 'torchrun' });
    const without = (env: NodeJS.ProcessEnv, ...names: string[]) =>
      Object.fromEntries(Object.entries(env).filter(([k]) => !names.includes(k)));
    const noTorch = without(all, 'RANK', 'WORLD_SIZE');
    assert.deepEqual(pick(noTorch), { rank: 1, worldSize: 4, localRank: 0, source: 'slurm' });
    const noSlurm = without(noTorch, 'SLURM_PROCID', 'SLURM_NTASKS');
    assert.deepEqual(pick(noSlurm), { rank: 2, worldSize: 3, localRank: 0, source: 'openmpi' });
    const noMpi = without(noSlurm, 'OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE');
    assert.deepEqual(pick(noMpi), { rank: 4, worldSize: 6, localRank: 0, source: 'indexed-job' });
  });

  it('is a single process without variables', () => {
    assert.deepEqual(pick({}), { rank: 0, worldSize: 1, localRank: 0, source: 'none' });
    assert.deepEqual(pick({ RANK: '', WORLD_SIZE: '' }), { rank: 0, worldSize: 1, localRank: 0, source: 'none' });
    assert.deepEqual(pick({ WORLD_SIZE: '1' }).source, 'none');
  });

  it('reads the environment at call time, not at import', () => {
    const saved = { ...process.env };
    try {
      process.env.SLURM_PROCID = '1';
      process.env.SLURM_NTASKS = '2';
      delete process.env.RANK;
      delete process.env.WORLD_SIZE;
      assert.equal(rankFromEnv().source, 'slurm');
      delete process.env.SLURM_PROCID;
      delete process.env.SLURM_NTASKS;
      assert.equal(rankFromEnv().rank, rankFromEnv(process.env).rank);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('refuses malformed values, a rank outside the world, and a world size without a rank', () => {
    for (const env of [
      { RANK: 'x' },
      { RANK: '-1' },
      { RANK: '1.5' },
      { WORLD_SIZE: '0' },
      { RANK: '2', WORLD_SIZE: '2' },
      { RANK: '1' },
      { WORLD_SIZE: '1e3' },
      { WORLD_SIZE: '4' },
      { SLURM_PROCID: '4', SLURM_NTASKS: '4' },
      { SLURM_PROCID: '0', SLURM_NTASKS: '0' },
      {
        OMPI_COMM_WORLD_RANK: '1',
        OMPI_COMM_WORLD_SIZE: '2',
        OMPI_COMM_WORLD_LOCAL_RANK: '2',
        OMPI_COMM_WORLD_LOCAL_SIZE: '2',
      },
      { JOB_COMPLETION_INDEX: '3' },
      { RANK: '0', WORLD_SIZE: '2', LOCAL_RANK: 'a' },
    ]) {
      assert.throws(
        () => rankFromEnv(env),
        (e: unknown) => e instanceof RangeError && /^Cannot read the launcher environment as /.test(e.message),
        JSON.stringify(env),
      );
    }
    assert.throws(() => rankFromEnv({ JOB_COMPLETION_INDEX: '3' }), /JOB_COMPLETIONS/);
  });
});

describe('describeRank', () => {
  it('names the rank, the launcher and the variables', () => {
    assert.equal(
      describeRank(rankFromEnv({ SLURM_PROCID: '2', SLURM_NTASKS: '8', SLURM_LOCALID: '0' })),
      'rank 2 of 8 (local rank 0) from slurm (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID)',
    );
    assert.equal(describeRank(rankFromEnv({})), 'single process (no launcher variables)');
  });
});
