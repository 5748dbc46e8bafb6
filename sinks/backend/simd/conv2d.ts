import type { ConvGeometry } from '../kernels/conv-geometry.js';
import type { SimdTeam } from './simd-team.js';
import { split } from './filter-grad.js';
import { CONV2D } from './simd-kernels.js';

/** Whether `conv2d.c` takes this convolution (dilation 1 is the caller's to check): a multiple of 4 output channels. */
export function simdConv2dFits(g: ConvGeometry): boolean {
  return g.outChannels % 4 === 0;
}

/** One thread's share of a convolution: output rows `[r0, r1)` (`r = image * outHeight + row`), output channels `[c0, c1)`. */
export interface Conv2dPart {
  readonly r0: number;
  readonly r1: number;
  readonly c0: number;
  readonly c1: number;
}

/**
 * The parts of a convolution for `threads` threads, each writing its own block of the output: by output
 * rows where there are at least as many as threads, else by output channels (in 4s).
 */
export function conv2dParts(g: ConvGeometry, threads: number): Conv2dPart[] {
  const rows = g.batch * g.outHeight;
  if (rows >= threads || g.outChannels / 4 < 2)
    return split(rows, 1, threads).map(([r0, r1]) => ({ r0, r1, c0: 0, c1: g.outChannels }));
  return split(g.outChannels / 4, 4, threads).map(([c0, c1]) => ({ r0: 0, r1: rows, c0, c1 }));
}

/**
 * `y = conv2d(x, filter)` (NHWC, HWIO, dilation 1) for tensors at heap offsets `x`, `filter` and `y`
 * (every element of `y` is written), split over `team`'s threads; `zero` is the heap offset of at least
 * `inChannels` zeros (what a tap in the padding reads). The geometry must fit ({@link simdConv2dFits}).
 */
export function runConv2d(team: SimdTeam, g: ConvGeometry, x: number, filter: number, y: number, zero: number): void {
  const common = [
    x,
    filter,
    y,
    zero,
    g.batch,
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.outChannels,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.padTop,
    g.padLeft,
  ];
  team.run(
    CONV2D,
    conv2dParts(g, team.threads).map((p) => [...common, p.r0, p.r1, p.c0, p.c1]),
  );
}
