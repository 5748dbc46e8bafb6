import type { ConvGeometry } from '../kernels/conv-geometry.js';
import type { SimdTeam } from './simd-team.js';
import { FILTER_GRAD } from './simd-kernels.js';
import { isNarrowConv } from './conv2d.js';
import { geometryArguments, split } from './team-arguments.js';

/**
 * Pixels per block of the reduction at most: each block's rows of the input and of `dy` are read once per
 * tile of the gradient while they are in cache. On the DCGAN's and BigGAN's layer shapes (2 threads, 3
 * rounds, best of 4 calls each) 32-1024-pixel blocks all ran within 10 % of each other (26-35 GMAC/s),
 * 64 never more than 4 % below the best; blocks of 8-16 pixels were slower.
 */
export const FILTER_GRAD_BLOCK_PIXELS = 64;

/**
 * Floats of `dy` per block at most ({@link FILTER_GRAD_BLOCK_PIXELS} pixels of up to 64 channels). A
 * tile reads one 16-channel slice of each pixel of the block, a row of `dy` apart: 512 bytes for 128
 * output channels, so 64 pixels' slices fell in 8 sets of a 32 KiB 8-way L1 cache and evicted each other.
 * Keeping a block to 16 KiB of `dy` (32 pixels at 128 channels, 16 at 256) ran the DCGAN's two largest
 * filter gradients 1.13x and 1.11x faster, a 16x16x128 k3 one 1.13x (one thread, alone, against 64-pixel
 * blocks), and the DCGAN's four 1.03-1.14x on 2 threads; for 64 channels or fewer, 64 pixels stayed the
 * best (128 ran 0.55-0.97x of it).
 */
export const FILTER_GRAD_BLOCK_FLOATS = 4096;

/** Whether `filter-grad.c` takes this convolution: a multiple of 4 output channels, or 1 to 3 (`filter-grad-narrow.h`'s tiles). */
export function simdFilterGradFits(g: ConvGeometry): boolean {
  return g.outChannels % 4 === 0 || isNarrowConv(g);
}

/**
 * Rows of `dy` per block of the reduction: whole rows, about {@link FILTER_GRAD_BLOCK_PIXELS} pixels or
 * {@link FILTER_GRAD_BLOCK_FLOATS} floats, whichever is fewer.
 */
function blockRows(g: ConvGeometry): number {
  const pixels = Math.min(FILTER_GRAD_BLOCK_PIXELS, FILTER_GRAD_BLOCK_FLOATS / g.outChannels);
  return Math.max(1, Math.round(pixels / g.outWidth));
}

/**
 * The floats of scratch, zeroed, that {@link runFilterGrad} needs for `threads` threads: for 1 to 3 output
 * channels the narrow tiles' sums, otherwise each thread's pixel table (two int32 per pixel of a block).
 */
export function filterGradScratchLength(g: ConvGeometry, threads: number): number {
  if (isNarrowConv(g)) return g.filterHeight * g.filterWidth * g.outChannels * g.inChannels;
  return threads * pixelTableLength(g);
}

/** One thread's pixel table, in 4-byte words, a multiple of 16 (each table starts on a cache line). */
function pixelTableLength(g: ConvGeometry): number {
  return Math.ceil((2 * blockRows(g) * g.outWidth) / 16) * 16;
}

/** One thread's share of a filter gradient: taps `[t0, t1)`, input channels `[i0, i1)`, output channels `[c0, c1)`. */
export interface FilterGradPart {
  readonly t0: number;
  readonly t1: number;
  readonly i0: number;
  readonly i1: number;
  readonly c0: number;
  readonly c1: number;
}

/**
 * The parts of a filter gradient for `threads` threads, each writing its own block of the gradient: by
 * pairs of input channels (the kernel's tile height) where there are enough, else by taps, else by output
 * channels (in 16s where there are enough, the kernel's widest tile), else by single input channels.
 * Fewer parts than threads where the gradient is too small to split. On the DCGAN's stride-2 layers (2
 * threads, each kernel alternating with the previous one) the gradient split by output channels ran
 * 1.03-1.10x the previous kernel, split by input channels or by taps 1.13-1.25x.
 */
export function filterGradParts(g: ConvGeometry, threads: number): FilterGradPart[] {
  const taps = g.filterHeight * g.filterWidth;
  const all = { t0: 0, t1: taps, i0: 0, i1: g.inChannels, c0: 0, c1: g.outChannels };
  if (g.inChannels % 2 === 0 && g.inChannels / 2 >= threads)
    return split(g.inChannels / 2, 2, threads).map(([i0, i1]) => ({ ...all, i0, i1 }));
  if (g.outChannels % 16 === 0 && g.outChannels / 16 >= threads)
    return split(g.outChannels / 16, 16, threads).map(([c0, c1]) => ({ ...all, c0, c1 }));
  if (g.outChannels / 4 >= 2 * threads)
    return split(g.outChannels / 4, 4, threads).map(([c0, c1]) => ({ ...all, c0, c1 }));
  if (taps >= threads) return split(taps, 1, threads).map(([t0, t1]) => ({ ...all, t0, t1 }));
  return split(g.inChannels, 1, threads).map(([i0, i1]) => ({ ...all, i0, i1 }));
}

/**
 * `dW += filter gradient` for the NHWC input at heap offset `x`, `dy` at `dy`, and the `[kh, kw, ci, co]`
 * gradient at `dw` (zeroed by the caller), split over `team`'s threads. The geometry must fit
 * ({@link simdFilterGradFits}); `scratch` holds {@link filterGradScratchLength}`(g, team.threads)` zeroed
 * floats, 64-byte aligned.
 */
export function runFilterGrad(
  team: SimdTeam,
  g: ConvGeometry,
  x: number,
  dy: number,
  dw: number,
  scratch: number,
): void {
  const narrow = isNarrowConv(g);
  const parts = narrow ? narrowParts(g, team.threads) : filterGradParts(g, team.threads);
  // the narrow tiles' sums are shared (each thread writes its own taps or channels); the tables are not
  const own = (k: number): number => (narrow ? scratch : scratch + k * pixelTableLength(g) * 4);
  team.run(
    FILTER_GRAD,
    parts.map((p, k) => [x, dy, own(k), dw, ...geometryArguments(g), blockRows(g), p.t0, p.t1, p.i0, p.i1, p.c0, p.c1]),
  );
}

/** The parts of a narrow filter gradient: by taps, else by input channels (each thread transposes its own). */
export function narrowParts(g: ConvGeometry, threads: number): FilterGradPart[] {
  const taps = g.filterHeight * g.filterWidth;
  const all = { t0: 0, t1: taps, i0: 0, i1: g.inChannels, c0: 0, c1: g.outChannels };
  if (taps >= threads) return split(taps, 1, threads).map(([t0, t1]) => ({ ...all, t0, t1 }));
  return split(g.inChannels, 1, threads).map(([i0, i1]) => ({ ...all, i0, i1 }));
}
