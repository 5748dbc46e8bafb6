import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './cli-helper.js';

/** Launcher variables of other conventions cleared, so the parent's environment cannot decide the test. */
const CLEAR: NodeJS.ProcessEnv = {
  RANK: '',
  WORLD_SIZE: '',
  LOCAL_RANK: '',
  LOCAL_WORLD_SIZE: '',
  SLURM_PROCID: '',
  SLURM_NTASKS: '',
  SLURM_LOCALID: '',
  OMPI_COMM_WORLD_RANK: '',
  OMPI_COMM_WORLD_SIZE: '',
  JOB_COMPLETION_INDEX: '',
  JOB_COMPLETIONS: '',
};

describe('ndaflow run under a launcher', () => {
  it('logs the rank and where it came from, and each Slurm rank reads its own part of the shards', async () => {
    const runs = await Promise.all(
      [0, 1].map((rank) =>
        runCli(['run', 'default', '--json', '--seed', '3'], {
          env: { ...CLEAR, SLURM_PROCID: String(rank), SLURM_NTASKS: '2', SLURM_LOCALID: String(rank) },
        }),
      ),
    );
    const single = await runCli(['run', 'default', '--json', '--seed', '3'], { env: CLEAR });
    assert.equal(single.code, 0, single.stderr);
    assert.doesNotMatch(single.stderr, /from (torchrun|slurm)/);
    let total = 0;
    for (const [rank, r] of runs.entries()) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^ndaflow: rank ${rank} of 2 \\(local rank ${rank}\\) from slurm \\(SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID\\)$`,
          'm',
        ),
      );
      const report = JSON.parse(r.stdout) as { samples: number };
      assert.ok(report.samples > 0);
      total += report.samples;
    }
    assert.equal(total, (JSON.parse(single.stdout) as { samples: number }).samples);
  });

  it('fails with the variable named when the launcher environment is malformed', async () => {
    const r = await runCli(['run', 'default', '--json', '--seed', '3'], {
      env: { ...CLEAR, OMPI_COMM_WORLD_RANK: '2', OMPI_COMM_WORLD_SIZE: '2' },
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /ndaflow: error: Cannot read the launcher environment as OMPI_COMM_WORLD_RANK must be below/,
    );
  });
});
