import type { SimdTeam } from './simd-team.js';
import { floatBits, split, threadsFor } from './team-arguments.js';
import { UPSAMPLE_NEAREST } from './simd-kernels.js';

/** An NHWC nearest-neighbour upsampling by whole factors, times a scale. */
export interface Upsampling {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** The factors: the output is `height * factorHeight` by `width * factorWidth`. */
  readonly factorHeight: number;
  readonly factorWidth: number;
  readonly scale: number;
}

/** The elements of the upsampled output. */
function outputElements(u: Upsampling): number {
  return u.batch * u.height * u.factorHeight * u.width * u.factorWidth * u.channels;
}

/** `y = scale * upsample(x)` for the tensors at heap offsets `x` and `y` (every element of `y` written), split over `team`'s threads by input rows (`threadsFor` its output's elements). */
export function runUpsample(team: SimdTeam, u: Upsampling, x: number, y: number): void {
  const common = [x, y, u.width, u.channels, u.factorHeight, u.factorWidth, floatBits(u.scale)];
  team.run(
    UPSAMPLE_NEAREST,
    split(u.batch * u.height, 1, threadsFor(outputElements(u), team.threads)).map(([r0, r1]) => [...common, r0, r1]),
  );
}

/**
 * Whether tfjs's nearest-neighbour resize from `inSize` to `outSize` reads input `floor(i / factor)` for
 * every output `i` (the whole factor `outSize / inSize`), computed with both backends' own formulas (the
 * source is `inSize / outSize * (i + 0.5 if halfPixelCenters)`, floored without `alignCorners`, capped at
 * `inSize - 1`: in float64 on the cpu backend, float32 in the wasm package), so that a rounding of either
 * cannot make the fast path read a different pixel. False with `alignCorners` or for a size that is not a
 * whole multiple.
 */
export function resizeIsWholeFactor(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): boolean {
  if (alignCorners || inSize === 0 || outSize % inSize !== 0) return false;
  const factor = outSize / inSize;
  const ratio = inSize / outSize;
  const ratio32 = Math.fround(ratio);
  const source = (at: number): number => Math.max(0, Math.min(inSize - 1, Math.floor(at)));
  for (let i = 0; i < outSize; i++) {
    const wanted = Math.floor(i / factor);
    const at = halfPixelCenters ? i + 0.5 : i;
    if (source(ratio * at) !== wanted || source(Math.fround(Math.fround(at) * ratio32)) !== wanted) return false;
  }
  return true;
}
