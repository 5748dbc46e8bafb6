import { phaseTaps, type ConvGeometry, type PhaseTaps } from '../kernels/conv-geometry.js';
import type { SimdTeam } from './simd-team.js';
import { convolvePacked, isNarrowConv, narrowPackArguments, packedFilterLength, type OutputLayout } from './conv2d.js';
import { OVERLAP_ADD, PACK_FILTER_FLIPPED, PACK_FILTER_NARROW } from './simd-kernels.js';
import { geometryArguments, split, threadsFor } from './team-arguments.js';
import { pointwiseGeometry } from './mat-mul.js';

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

/**
 * Whether the input gradient of `g` takes the patches path ({@link runInputGradByPatches}): a `dx` of 1
 * to 3 channels (a generator's RGB output), whose phases would run on the narrow convolution, a stride
 * above 1, and at least 4 values a patch (the product's columns: a 1x1 filter to 3 channels keeps its
 * phases). A DCGAN generator's last layer (k4 s2, 64 -> 3 channels, batch 64): 1.88 against 2.71 ms
 * by phases (2 threads, 20 calls alternating); at stride 1 (k3) the one narrow convolution stayed faster,
 * 4.6 against 5.7 ms.
 */
export function usesPatches(g: ConvGeometry): boolean {
  return g.inChannels < 4 && g.strideHeight * g.strideWidth > 1 && !isNarrowConv(patchesProduct(g));
}

/**
 * The matrix product of the patches path as a 1x1 convolution: each pixel of `dy` (`outChannels` values)
 * times the filter seen as `[outChannels, kh * kw * inChannels]`, giving the values each of its taps puts
 * into `dx`.
 */
export function patchesProduct(g: ConvGeometry): ConvGeometry {
  const { batch, outHeight, outWidth, outChannels } = g;
  return pointwiseGeometry(batch, outHeight, outWidth, outChannels, g.filterHeight * g.filterWidth * g.inChannels);
}

/**
 * `dx` = the input gradient of the convolution `g` as one matrix product and an overlap-add: the patches
 * ({@link patchesProduct}, `patches` holds its output, `packed` its packed filter, 64-byte aligned) on
 * `conv2d`'s wide tiles, then each pixel of `dx` summed from the patches' values that land on it
 * (`overlap-add.c`), every element of `dx` written. For a `dx` of 3 channels the phases' narrow
 * convolutions ran at 14-17 GMAC/s (see {@link usesPatches}).
 */
export function runInputGradByPatches(
  team: SimdTeam,
  g: ConvGeometry,
  at: Omit<InputGradOperands, 'packed'> & { readonly packed: number; readonly patches: number },
): void {
  const product = patchesProduct(g);
  // the filter [kh, kw, ci, co] seen as one tap [kh * kw * ci, co], packed transposed: rows co, columns (kh, kw, ci)
  team.run(PACK_FILTER_FLIPPED, [[at.filter, at.packed, 1, product.outChannels, g.outChannels, 0, 1, 1, 0, 1, 1]]);
  convolvePacked(team, product, { x: at.dy, y: at.patches, zero: at.zero, packed: at.packed, bias: 0, relu: false });
  const rows = g.batch * g.inHeight;
  const common = [at.patches, at.dx, ...geometryArguments(g)];
  const threads = threadsFor(rows * g.inWidth * g.filterHeight * g.filterWidth * g.inChannels, team.threads);
  team.run(
    OVERLAP_ADD,
    split(rows, 1, threads).map(([r0, r1]) => [...common, r0, r1]),
  );
}
