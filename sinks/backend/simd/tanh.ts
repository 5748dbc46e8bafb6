import type { SimdTeam } from './simd-team.js';
import { split } from './team-arguments.js';
import { TANH } from './simd-kernels.js';

/** Elements per unit of work between threads (each thread takes whole units, the last one the rest). */
const UNIT = 1024;

/** `y = tanh(x)` for `size` float32 values at heap offsets `x` and `y`, split over `team`'s threads. */
export function runTanh(team: SimdTeam, size: number, x: number, y: number): void {
  const ranges = split(Math.ceil(size / UNIT), UNIT, team.threads);
  team.run(
    TANH,
    ranges.map(([i0, i1]) => [x, y, i0, Math.min(i1, size)]),
  );
}
