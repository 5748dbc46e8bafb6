import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../../sinks/backend/index.js';
import { simdTeamOf } from '../../../sinks/backend/simd/backend-simd-team.js';
import { FILTER_GRAD } from '../../../sinks/backend/simd/simd-kernels.js';

// The backend's SIMD team lives as long as the backend: one per backend instance, closed when it is
// disposed (this file ends the process's wasm backend, so it has a process of its own).

describe("the wasm backend's SIMD team", () => {
  it('is started once per backend and closed with it', async () => {
    const { tf } = await selectBackend({ backend: 'wasm', threads: 2 });
    await tf.setBackend('wasm');
    const backend = tf.backend();
    const team = simdTeamOf(backend);
    assert.ok(team !== null);
    assert.equal(team.threads, 2);
    assert.equal(simdTeamOf(backend), team, 'the same team for the same backend');
    tf.removeBackend('wasm'); // disposes the backend
    assert.throws(() => team.run(FILTER_GRAD, [[]]), /closed/);
  });
});
