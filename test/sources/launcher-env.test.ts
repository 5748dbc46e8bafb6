import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rankFromEnv } from '../../sources/launcher-env.js';

describe('rankFromEnv', () => {
  it('reads RANK and WORLD_SIZE (torchrun)', () => {
    assert.deepEqual(rankFromEnv({ RANK: '2', WORLD_SIZE: '4' }), { rank: 2, worldSize: 4 });
  });

  it('reads Kubernetes indexed Jobs: JOB_COMPLETION_INDEX with WORLD_SIZE or JOB_COMPLETIONS', () => {
    assert.deepEqual(rankFromEnv({ JOB_COMPLETION_INDEX: '3', JOB_COMPLETIONS: '5' }), { rank: 3, worldSize: 5 });
    assert.deepEqual(rankFromEnv({ JOB_COMPLETION_INDEX: '1', WORLD_SIZE: '2', JOB_COMPLETIONS: '9' }), {
      rank: 1,
      worldSize: 2,
    });
    assert.deepEqual(rankFromEnv({ RANK: '0', JOB_COMPLETION_INDEX: '4', WORLD_SIZE: '8' }), { rank: 0, worldSize: 8 });
  });

  it('is a single process without variables', () => {
    assert.deepEqual(rankFromEnv({}), { rank: 0, worldSize: 1 });
    assert.deepEqual(rankFromEnv({ RANK: '', WORLD_SIZE: '' }), { rank: 0, worldSize: 1 });
  });

  it('refuses malformed values and a rank outside the world', () => {
    for (const env of [
      { RANK: 'x' },
      { RANK: '-1' },
      { RANK: '1.5' },
      { WORLD_SIZE: '0' },
      { RANK: '2', WORLD_SIZE: '2' },
      { RANK: '1' },
      { WORLD_SIZE: '1e3' },
    ]) {
      assert.throws(
        () => rankFromEnv(env),
        (e: unknown) => e instanceof RangeError && /^Cannot read the launcher environment as /.test(e.message),
        JSON.stringify(env),
      );
    }
  });
});
