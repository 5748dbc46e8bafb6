import { rangeError, typeError } from '../../sources/errors.js';
import type { Random } from '../../sources/random.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from '../image/color-ops.js';
import { checkInterval, checkNumber } from './image-stage.js';

/**
 * The colour-jitter draw shared by `colorJitter` (one image) and `clipColorJitter` (every frame of a
 * clip alike), as torchvision's `ColorJitter` draws it: the option ranges (`resolveJitterRanges`,
 * which `resolve-color-jitter.ts` calls for both operators), the per-draw order (coin flip, order of
 * the four adjustments, then four factors), and the adjustments of 8-bit frames through the
 * Pillow-exact kernels of `color-ops.ts`.
 */

/** Index of each adjustment in {@link JitterDraw.order} and {@link JitterDraw.factors}. */
export const BRIGHTNESS = 0;
export const CONTRAST = 1;
export const SATURATION = 2;
export const HUE = 3;

/** The resolved ranges of the four adjustments (null: the adjustment is skipped). */
export type JitterRanges = readonly [
  brightness: readonly [number, number] | null,
  contrast: readonly [number, number] | null,
  saturation: readonly [number, number] | null,
  hue: readonly [number, number] | null,
];

/** One draw: the order of the adjustments and the factor of each (null where skipped). */
export interface JitterDraw {
  readonly order: readonly number[];
  readonly factors: readonly (number | null)[];
}

/** Resolves the four range options as `colorJitter` does (torchvision's `_check_input`). */
export function resolveJitterRanges(
  action: string,
  options: {
    readonly brightness?: unknown;
    readonly contrast?: unknown;
    readonly saturation?: unknown;
    readonly hue?: unknown;
  },
): JitterRanges {
  return [
    factorRange(action, 'brightness', options.brightness),
    factorRange(action, 'contrast', options.contrast),
    factorRange(action, 'saturation', options.saturation),
    hueRange(action, options.hue),
  ];
}

/**
 * Draws from `rng` as `colorJitter` does per sample: a coin with probability `p` (null when it
 * says no), the order of the four adjustments, then one uniform per adjustment (drawn even for a
 * skipped one, so that one option does not shift the others' draws).
 */
export function drawJitter(rng: Random, p: number, ranges: JitterRanges): JitterDraw | null {
  if (!(rng.float() < p)) return null;
  const order = rng.shuffle([BRIGHTNESS, CONTRAST, SATURATION, HUE]);
  const factors = ranges.map((range) => {
    const u = rng.float();
    return range === null ? null : range[0] + (range[1] - range[0]) * u;
  });
  return { order, factors };
}

/**
 * Applies a draw to every frame of 8-bit THWC data of `C` (1 or 3) channels, frames of
 * `frameLength` values, in place (the caller owns `data`): the adjustments in the draw's order.
 * Contrast blends each frame with its own mean luma (as torchvision on one image, or on a video
 * tensor, whose mean is per frame), so frames that are equal stay equal; brightness, saturation and
 * hue act pixel by pixel, so they run over the whole clip at once (the same bytes as frame by
 * frame, and large inputs take the saturation kernel's table path). A grey clip gets brightness
 * and contrast only. One frame: `frameLength = data.length`.
 */
export function jitterFrames(data: Uint8Array, C: 1 | 3, frameLength: number, draw: JitterDraw): void {
  if (!(frameLength > 0) || data.length === 0) return;
  for (const op of draw.order) {
    const f = draw.factors[op];
    if (f === null || f === undefined) continue;
    if (op === BRIGHTNESS) adjustBrightness(data, f);
    else if (op === CONTRAST) {
      for (let at = 0; at < data.length; at += frameLength) adjustContrast(data.subarray(at, at + frameLength), C, f);
    } else if (C === 3) {
      if (op === SATURATION) adjustSaturation(data, f);
      else adjustHue(data, f);
    }
  }
}

function factorRange(action: string, name: string, value: unknown): readonly [number, number] | null {
  if (value === undefined) return null;
  let range: readonly [number, number];
  if (typeof value === 'number') {
    const b = checkNumber(action, name, value, 0, Infinity);
    range = [Math.max(0, 1 - b), 1 + b];
  } else if (Array.isArray(value)) range = checkInterval(action, name, value, 0, Infinity);
  else throw typeError(action, `${name} must be a number or a [low, high] pair`, value);
  return range[0] === 1 && range[1] === 1 ? null : range;
}

function hueRange(action: string, value: unknown): readonly [number, number] | null {
  if (value === undefined) return null;
  let range: readonly [number, number];
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw typeError(action, 'hue must be a number', value);
    if (!(value >= 0 && value <= 0.5)) throw rangeError(action, 'hue must be in [0, 0.5]', value);
    range = [-value, value];
  } else if (Array.isArray(value)) range = checkInterval(action, 'hue', value, -0.5, 0.5);
  else throw typeError(action, 'hue must be a number or a [low, high] pair', value);
  return range[0] === 0 && range[1] === 0 ? null : range;
}
