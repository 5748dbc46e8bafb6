import type { SimdTeam } from './simd-team.js';
import { split, threadsFor } from './team-arguments.js';
import { BATCH_NORM } from './simd-kernels.js';

/** Heap offsets of a batch normalisation's operands (`batch-norm.c`). */
export interface BatchNormOperands {
  readonly x: number;
  /** The output, every element of which is written. */
  readonly y: number;
  /** `channels` floats each. */
  readonly mean: number;
  /** `scale / sqrt(variance + epsilon)` per channel. */
  readonly a: number;
  /** 0: none. */
  readonly offset: number;
}

/** `y = offset + (x - mean) * a` over `rows` rows of `channels`, split over `team`'s threads by rows (`threadsFor`). */
export function runBatchNorm(team: SimdTeam, rows: number, channels: number, at: BatchNormOperands): void {
  const common = [at.x, at.y, at.mean, at.a, at.offset, channels];
  team.run(
    BATCH_NORM,
    split(rows, 1, threadsFor(rows * channels, team.threads)).map(([r0, r1]) => [...common, r0, r1]),
  );
}
