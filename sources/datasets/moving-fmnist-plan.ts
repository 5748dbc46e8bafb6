import { Random } from '../random.js';

/** Options of {@link planMovingFmnistClip}. */
export interface PlanMovingFmnistOptions {
  /** Items per clip. */
  readonly items: 1 | 2;
  /** How many images the split has (items are drawn from `[0, pool)`). */
  readonly pool: number;
  /** Canvas side. @default 64 */
  readonly size?: number;
  /** Item side. @default 28 */
  readonly side?: number;
}

/** The random choices of one clip, drawn by {@link planMovingFmnistClip}. */
export interface MovingFmnistPlan {
  /** Index of each item's image in its split. */
  readonly items: readonly number[];
  /** Each item's integer top-left corner `[x, y]` at frame 0. */
  readonly starts: readonly (readonly [number, number])[];
  /** Each item's velocity `[vx, vy]` in pixels per frame (y down). */
  readonly velocities: readonly (readonly [number, number])[];
  /** Each item's direction label (0..7, see `MOVING_FMNIST_DIRECTIONS`): the compass point its velocity was drawn around. */
  readonly directions: readonly number[];
}

/** Largest deviation of a velocity from its compass point (radians): 15 degrees, well inside the 22.5 that would change the label. */
export const MOVING_FMNIST_ANGLE_JITTER = Math.PI / 12;

/**
 * Draws one clip's items, starts and velocities from `Random.derive(seed, 'moving-fmnist', split, index)`:
 * per item an image index uniform in `[0, pool)`, a start corner uniform on the integer grid
 * `[0, size - side]^2`, a direction `d` uniform in 0..7, and a velocity of speed uniform in [2, 4)
 * pixels per frame at angle `d * 45 deg` plus a jitter uniform in (-15, 15) degrees (so
 * `compassDirectionOf(velocity) === d`). Deterministic given its arguments; clips are independent of one
 * another (any clip can be planned alone).
 */
export function planMovingFmnistClip(
  seed: number,
  split: string,
  index: number,
  options: PlanMovingFmnistOptions,
): MovingFmnistPlan {
  const { items, pool, size = 64, side = 28 } = options;
  const rng = Random.derive(seed, 'moving-fmnist', split, index);
  const max = size - side;
  const picks: number[] = [];
  const starts: [number, number][] = [];
  const velocities: [number, number][] = [];
  const directions: number[] = [];
  for (let j = 0; j < items; j++) {
    picks.push(rng.int(0, pool - 1));
    starts.push([rng.int(0, max), rng.int(0, max)]);
    const d = rng.int(0, 7);
    const angle = (d * Math.PI) / 4 + (rng.float() * 2 - 1) * MOVING_FMNIST_ANGLE_JITTER;
    const speed = 2 + 2 * rng.float();
    // Rounded to 1e-6 px so the JSON metadata reproduces the motion exactly.
    velocities.push([
      Math.round(speed * Math.cos(angle) * 1e6) / 1e6,
      Math.round(-speed * Math.sin(angle) * 1e6) / 1e6,
    ]);
    directions.push(d);
  }
  return { items: picks, starts, velocities, directions };
}
