import type { SimdTeam } from './simd-team.js';
import { elementRanges, floatBits } from './team-arguments.js';
import { LEAKY_RELU, LEAKY_RELU_GRAD } from './simd-kernels.js';

/** Elements per unit of work between threads (each thread takes whole units, the last one the rest). */
const UNIT = 1024;

/** `y = x > 0 ? x : alpha * x` for `size` float32 values at heap offsets `x` and `y`, split over `team`'s threads (`elementRanges`). */
export function runLeakyRelu(team: SimdTeam, size: number, alpha: number, x: number, y: number): void {
  team.run(
    LEAKY_RELU,
    elementRanges(size, UNIT, team.threads).map(([i0, i1]) => [x, y, i0, i1, floatBits(alpha)]),
  );
}

/** `dx = x > 0 ? dy : alpha * dy` (NaN where `x` is) for `size` float32 values, split over `team`'s threads (`elementRanges`). */
export function runLeakyReluGrad(team: SimdTeam, size: number, alpha: number, x: number, dy: number, dx: number): void {
  team.run(
    LEAKY_RELU_GRAD,
    elementRanges(size, UNIT, team.threads).map(([i0, i1]) => [x, dy, dx, i0, i1, floatBits(alpha)]),
  );
}
