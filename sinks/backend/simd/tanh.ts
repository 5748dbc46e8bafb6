import type { SimdTeam } from './simd-team.js';
import { elementRanges } from './team-arguments.js';
import { TANH } from './simd-kernels.js';

/** Elements per unit of work between threads (each thread takes whole units, the last one the rest). */
const UNIT = 1024;

/** `y = tanh(x)` for `size` float32 values at heap offsets `x` and `y`, split over `team`'s threads (`elementRanges`). */
export function runTanh(team: SimdTeam, size: number, x: number, y: number): void {
  team.run(
    TANH,
    elementRanges(size, UNIT, team.threads).map(([i0, i1]) => [x, y, i0, i1]),
  );
}
