import type { SimdTeam } from './simd-team.js';
import { split, threadsFor } from './team-arguments.js';
import { BN_GRAD_INPUT, BN_GRAD_SUMS, BN_MOMENTS } from './simd-kernels.js';

/** Heap offsets the two gradient passes both read: the input, the output's gradient, the batch's mean. */
interface GradInputs {
  readonly x: number;
  readonly dy: number;
  readonly mean: number;
}

/** Each thread's channels `[c0, c1)`, in 4s (`channels` must be a multiple of 4; one thread below `TEAM_MIN_ELEMENTS`). */
function channelRanges(team: SimdTeam, rows: number, channels: number): Array<[number, number]> {
  return split(channels / 4, 4, threadsFor(rows * channels, team.threads));
}

/**
 * `mean` and `variance` (biased) per channel of `rows` rows of `channels` float32 values at heap offset
 * `x`, split over `team`'s threads by channels; `part` holds `channels` floats of scratch.
 */
export function runBatchMoments(
  team: SimdTeam,
  rows: number,
  channels: number,
  at: { readonly x: number; readonly mean: number; readonly variance: number; readonly part: number },
): void {
  const common = [at.x, at.mean, at.variance, at.part, rows, channels];
  team.run(
    BN_MOMENTS,
    channelRanges(team, rows, channels).map(([c0, c1]) => [...common, c0, c1]),
  );
}

/**
 * `s1 = sum(dy)` and `s2 = sum(dy * (x - mean))` per channel, split over `team`'s threads by channels;
 * `part` holds `2 * channels` floats of scratch.
 */
export function runBatchNormGradSums(
  team: SimdTeam,
  rows: number,
  channels: number,
  at: GradInputs & { readonly s1: number; readonly s2: number; readonly part: number },
): void {
  team.run(
    BN_GRAD_SUMS,
    channelRanges(team, rows, channels).map(([c0, c1]) => [
      at.x,
      at.dy,
      at.mean,
      at.s1,
      at.s2,
      at.part,
      rows,
      channels,
      c0,
      c1,
    ]),
  );
}

/** `dx = k * (dy - a) - b * (x - mean)` (per-channel `k`, `a`, `b`), split over `team`'s threads by rows. */
export function runBatchNormGradInput(
  team: SimdTeam,
  rows: number,
  channels: number,
  at: GradInputs & { readonly k: number; readonly a: number; readonly b: number; readonly dx: number },
): void {
  const common = [at.x, at.dy, at.mean, at.k, at.a, at.b, at.dx, channels];
  team.run(
    BN_GRAD_INPUT,
    split(rows, 1, threadsFor(rows * channels, team.threads)).map(([r0, r1]) => [...common, r0, r1]),
  );
}
