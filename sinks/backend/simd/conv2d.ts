import type { ConvGeometry } from '../kernels/conv-geometry.js';
import type { SimdTeam } from './simd-team.js';
import { geometryArguments, split, TEAM_MIN_MACS } from './team-arguments.js';
import { CONV2D, CONV2D_NARROW, PACK_FILTER, PACK_FILTER_NARROW } from './simd-kernels.js';

/** 1 to 3 output channels (an RGB layer's): the narrow kernels (`conv2d_narrow` with its packing `pack_filter_narrow`, and `filter-grad-narrow.h`'s tiles). */
export function isNarrowConv(g: ConvGeometry): boolean {
  return g.outChannels >= 1 && g.outChannels <= 3;
}

/**
 * The packed filter's length in floats (the packing writes every one): for `pack_filter` the output
 * channels padded to a multiple of 4, for `pack_filter_narrow` the filter's own size.
 */
export function packedFilterLength(g: ConvGeometry): number {
  const channels = isNarrowConv(g) ? g.outChannels : Math.ceil(g.outChannels / 4) * 4;
  return g.filterHeight * g.filterWidth * g.inChannels * channels;
}

/** One axis of the taps `pack_filter_narrow` packs: how many, the first, the step between them (negative: reversed). */
export interface TapAxis {
  readonly count: number;
  readonly first: number;
  readonly step: number;
}

/** Which elements of a filter `pack_filter_narrow` packs for `conv2d_narrow`. */
export interface NarrowPacking {
  /** The convolution's output channels (1 to 3). */
  readonly channels: number;
  readonly rows: TapAxis;
  readonly cols: TapAxis;
  /** Taps per row of the filter as stored. */
  readonly filterWidth: number;
  /** Floats from one tap of the filter to the next. */
  readonly tapStride: number;
  /** The convolution's input channels (its reduction within a tap). */
  readonly reduction: number;
  /** Floats from one output channel to the next, and from one input channel to the next, within a tap. */
  readonly channelStride: number;
  readonly reductionStride: number;
}

/** `pack_filter_narrow`'s arguments after the filter's and the packing's offsets. */
export function narrowPackArguments(p: NarrowPacking): number[] {
  const { rows, cols } = p;
  return [
    p.channels,
    rows.count,
    rows.first,
    rows.step,
    cols.count,
    cols.first,
    cols.step,
    p.filterWidth,
    p.tapStride,
    p.reduction,
    p.channelStride,
    p.reductionStride,
  ];
}

/** The taps of `g`'s filter (`[kh, kw, ci, co]`) in order: what `conv2d_narrow` convolves with. */
export function narrowPacking(g: ConvGeometry): NarrowPacking {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = g;
  return {
    channels: co,
    rows: { count: kh, first: 0, step: 1 },
    cols: { count: kw, first: 0, step: 1 },
    filterWidth: kw,
    tapStride: ci * co,
    reduction: ci,
    channelStride: 1,
    reductionStride: co,
  };
}

/**
 * The starts of `conv2d.c`'s blocks of output channels (16 wide, then 4 wide for the rest, the last one
 * perhaps partly filled), and `outChannels` last.
 */
export function channelBlocks(outChannels: number): number[] {
  const starts: number[] = [];
  for (let c = 0; c < outChannels; c += c + 16 <= outChannels ? 16 : 4) starts.push(c);
  starts.push(outChannels);
  return starts;
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
 * rows where there are at least as many as threads, else by blocks of output channels.
 */
export function conv2dParts(g: ConvGeometry, threads: number): Conv2dPart[] {
  const rows = g.batch * g.outHeight;
  const blocks = channelBlocks(g.outChannels);
  if (rows >= threads || blocks.length <= 2)
    return split(rows, 1, threads).map(([r0, r1]) => ({ r0, r1, c0: 0, c1: g.outChannels }));
  return split(blocks.length - 1, 1, threads).map(([b0, b1]) => ({
    r0: 0,
    r1: rows,
    c0: blocks[b0]!,
    c1: blocks[b1]!,
  }));
}

/** Heap offsets of a convolution's operands, its filter already packed. */
export interface PackedConv2dOperands {
  readonly x: number;
  /** The output, every element of which (in its {@link OutputLayout}) is written. */
  readonly y: number;
  /** At least `inChannels` zeros (what a tap in the padding reads). */
  readonly zero: number;
  /** The filter as `pack_filter` (or `pack_filter_flipped`) wrote it, {@link packedFilterLength} floats, 64-byte aligned. */
  readonly packed: number;
  /** One value per output channel added to every output (0: none). */
  readonly bias: number;
  /** Clamp the outputs at 0. */
  readonly relu: boolean;
}

/** Heap offsets of a convolution's operands. */
export interface Conv2dOperands extends PackedConv2dOperands {
  readonly filter: number;
}

/** Where output `(n, oh, ow, co)` goes: `y + (n * image + oh * row + ow * pixel + co)` floats. */
export interface OutputLayout {
  readonly image: number;
  readonly row: number;
  readonly pixel: number;
}

/** The layout of a plain NHWC output of `g`. */
export function nhwcLayout(g: ConvGeometry): OutputLayout {
  return { image: g.outHeight * g.outWidth * g.outChannels, row: g.outWidth * g.outChannels, pixel: g.outChannels };
}

/** Multiply-adds of the convolution `g`. */
export function convMacs(g: ConvGeometry): number {
  return g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight * g.filterWidth * g.inChannels;
}

/**
 * `y = conv2d(x, packed filter) (+ bias) (ReLU)` (NHWC, dilation 1) split over `team`'s threads (on this
 * thread alone below {@link TEAM_MIN_MACS}), the output written in `layout`.
 */
export function convolvePacked(
  team: SimdTeam,
  g: ConvGeometry,
  at: PackedConv2dOperands,
  layout: OutputLayout = nhwcLayout(g),
): void {
  const common = [at.x, at.packed, at.y, at.zero, ...geometryArguments(g)];
  const epilogue = [at.bias, at.relu ? 1 : 0, layout.image, layout.row, layout.pixel];
  const parts = conv2dParts(g, convMacs(g) < TEAM_MIN_MACS ? 1 : team.threads);
  if (isNarrowConv(g))
    team.run(
      CONV2D_NARROW,
      parts.map((p) => [...common, p.r0, p.r1, ...epilogue]),
    );
  else
    team.run(
      CONV2D,
      parts.map((p) => [...common, p.r0, p.r1, p.c0, p.c1, ...epilogue]),
    );
}

/**
 * `y = conv2d(x, filter) (+ bias) (ReLU)` (NHWC, HWIO, dilation 1): the filter packed on this thread, then
 * the convolution split over `team`'s threads.
 */
export function runConv2d(team: SimdTeam, g: ConvGeometry, at: Conv2dOperands): void {
  if (isNarrowConv(g)) team.run(PACK_FILTER_NARROW, [[at.filter, at.packed, ...narrowPackArguments(narrowPacking(g))]]);
  else team.run(PACK_FILTER, [[at.filter, at.packed, g.filterHeight * g.filterWidth * g.inChannels, g.outChannels]]);
  convolvePacked(team, g, at);
}
