import { phaseTaps, type ConvGeometry, type PhaseTaps } from '../kernels/conv-geometry.js';
import type { SimdTeam } from './simd-team.js';
import { convolvePacked, isNarrowConv, narrowPackArguments, packedFilterLength, type OutputLayout } from './conv2d.js';
import { PACK_FILTER_FLIPPED, PACK_FILTER_NARROW } from './simd-kernels.js';
import { threadsFor } from './team-arguments.js';

/**
 * One phase of a convolution's input gradient (a transposed convolution): the pixels
 * `(sh * q + rh, sw * p + rw)` of `dx`, which only the filter taps `th` x `tw` reach. They are an ordinary
 * stride-1 convolution of `dy` with those taps flipped and their channels swapped (`pack_filter_flipped`),
 * written into `dx` in place.
 */
export interface InputGradPhase {
  readonly th: PhaseTaps;
  readonly tw: PhaseTaps;
  /** The phase's convolution (`dy` in, `dx`'s channels out); `null` when no tap reaches it (its pixels are zeros). */
  readonly conv: ConvGeometry | null;
  /** Where the phase's first pixel is in `dx`, in floats. */
  readonly offset: number;
  /** Where the phase's pixels are in `dx`, relative to {@link offset}. */
  readonly layout: OutputLayout;
}

/**
 * The phases of the input gradient of the convolution `g` (`g.inHeight` etc. are `dx`'s, `g.outHeight` etc.
 * `dy`'s): `strideHeight * strideWidth` of them, fewer where `dx` has fewer rows or columns than the stride.
 * Output row `i = sh * q + rh` only meets the taps `k ≡ (rh + padTop) mod sh` (`phaseTaps`), so no
 * multiply is spent on the zeros that a strided transposed convolution would insert.
 */
export function inputGradPhases(g: ConvGeometry): InputGradPhase[] {
  const { strideHeight: sh, strideWidth: sw, inHeight, inWidth, inChannels } = g;
  const phases: InputGradPhase[] = [];
  for (let rh = 0; rh < Math.min(sh, inHeight); rh++) {
    const th = phaseTaps(g.filterHeight, sh, g.padTop, rh);
    for (let rw = 0; rw < Math.min(sw, inWidth); rw++) {
      const tw = phaseTaps(g.filterWidth, sw, g.padLeft, rw);
      const conv: ConvGeometry | null =
        th.count === 0 || tw.count === 0
          ? null
          : {
              batch: g.batch,
              inHeight: g.outHeight,
              inWidth: g.outWidth,
              inChannels: g.outChannels,
              outHeight: Math.ceil((inHeight - rh) / sh),
              outWidth: Math.ceil((inWidth - rw) / sw),
              outChannels: inChannels,
              filterHeight: th.count,
              filterWidth: tw.count,
              strideHeight: 1,
              strideWidth: 1,
              // dx_r[q] = sum_t dy[q + offset + t] * flipped[t]
              padTop: -th.offset,
              padLeft: -tw.offset,
            };
      phases.push({
        th,
        tw,
        conv,
        offset: (rh * inWidth + rw) * inChannels,
        layout: { image: inHeight * inWidth * inChannels, row: sh * inWidth * inChannels, pixel: sw * inChannels },
      });
    }
  }
  return phases;
}

/** Heap offsets of an input gradient's operands. */
export interface InputGradOperands {
  readonly dy: number;
  readonly filter: number;
  /** `dx`: every element is written, provided it starts zeroed where a phase has no convolution. */
  readonly dx: number;
  /** At least `outChannels` (`dy`'s channels) zeros. */
  readonly zero: number;
  /** Per phase with a convolution, in order: room for its {@link packedFilterLength}, 64-byte aligned. */
  readonly packed: readonly number[];
}

/**
 * `dx` = the input gradient of the convolution `g` of the filter at `at.filter` (`[kh, kw, ci, co]`) for
 * `dy`, phase by phase ({@link inputGradPhases}): each phase's filter packed (the phases shared between the
 * team's threads for a large filter: `threadsFor`), then each phase's convolution split over the threads.
 */
export function runInputGrad(
  team: SimdTeam,
  g: ConvGeometry,
  phases: readonly InputGradPhase[],
  at: InputGradOperands,
): void {
  const convs = phases.filter((p) => p.conv !== null);
  // each phase's taps reversed (its last tap first), the filter's input and output channels swapped
  const reversed = (t: PhaseTaps, stride: number) => ({
    count: t.count,
    first: t.first + stride * (t.count - 1),
    step: -stride,
  });
  const narrow = (p: InputGradPhase): number[] =>
    narrowPackArguments({
      channels: g.inChannels,
      rows: reversed(p.th, g.strideHeight),
      cols: reversed(p.tw, g.strideWidth),
      filterWidth: g.filterWidth,
      tapStride: g.inChannels * g.outChannels,
      reduction: g.outChannels,
      channelStride: g.outChannels,
      reductionStride: 1,
    });
  const wide = (p: InputGradPhase): number[] => [
    g.filterWidth,
    g.inChannels,
    g.outChannels,
    p.th.first,
    p.th.count,
    g.strideHeight,
    p.tw.first,
    p.tw.count,
    g.strideWidth,
  ];
  const packs = convs.map((p, k) => [at.filter, at.packed[k]!, ...(isNarrowConv(p.conv!) ? narrow(p) : wide(p))]);
  const fn = convs.length > 0 && isNarrowConv(convs[0]!.conv!) ? PACK_FILTER_NARROW : PACK_FILTER_FLIPPED;
  // the phases packed side by side on the team's threads only for a filter of a million floats or more:
  // a DCGAN layer's 4 phases of 33-131K floats each took 16-65 µs to pack, a helper's wake-up ~100
  const threads = threadsFor(g.filterHeight * g.filterWidth * g.inChannels * g.outChannels, team.threads);
  for (let k = 0; k < packs.length; k += threads) team.run(fn, packs.slice(k, k + threads));
  convs.forEach((p, k) => {
    convolvePacked(
      team,
      p.conv!,
      { x: at.dy, y: at.dx + p.offset * 4, zero: at.zero, packed: at.packed[k]!, bias: 0, relu: false },
      p.layout,
    );
  });
}

/** The packed filter lengths of the phases with a convolution, in order (what {@link InputGradOperands.packed} holds). */
export function inputGradPackedLengths(phases: readonly InputGradPhase[]): number[] {
  return phases.flatMap((p) => (p.conv === null ? [] : [packedFilterLength(p.conv)]));
}
