import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { ErrorHandler, HandlerName } from '../sources/handlers.js';
import type { Sample, SampleIdentity } from '../sources/sample.js';
import type { VideoClip } from '../sources/video/video-clip.js';
import { clipStage } from './internal/clip-stage.js';
import { grayscale3 } from './image/color-ops.js';
import { resolveGrayscale } from './internal/resolve-grayscale.js';
import type { RandomGrayscaleOptions } from './random-grayscale.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const CLIP_RANDOM_GRAYSCALE_KEYS = optionKeys<ClipRandomGrayscaleOptions>({
  fields: true,
  handler: true,
  seed: true,
  onSeed: true,
  p: true,
});

/**
 * Options of {@link clipRandomGrayscale}: those of {@link randomGrayscale} (`p`, `seed`, `onSeed`,
 * with the same defaults and checks), one decision per clip, plus the clip operator's own `fields`
 * and `handler`.
 */
export interface ClipRandomGrayscaleOptions extends Omit<RandomGrayscaleOptions, 'fields' | 'handler'> {
  /** The clip fields to turn grey (a `VideoClip` or an array of them). @default every field whose value is a clip or a non-empty array of clips */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), or whose clip is not
   * decoded, not 8-bit, has other than 1 or 3 channels, or data not matching its shape
   * (`'clip-random-grayscale'`): it is skipped and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * Turns each video clip grey with probability `p`, every frame of it, keeping its channels: the
 * video form of {@link randomGrayscale} (Pillow's `convert('L')` luma written to all three
 * channels). One decision per clip from `(seed, 'clip-random-grayscale', epoch, key, field, clip
 * index)` (and the view, inside {@link twoViews}). 8-bit clips only; a 1-channel clip is already
 * grey and stays as it is. A grey clip is a new clip with the input's `fps`, `start`, `stride` and
 * `padded`; a clip left as it is stays the same object; the input is never modified.
 * Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad p, seed, fields or handler.
 * @example
 * createLoader(source, decodeClips({ frames: 16 }), clipRandomGrayscale({ p: 0.2, seed: 3 }), batch(8));
 * @see randomGrayscale
 */
export function clipRandomGrayscale<S extends SampleIdentity = Sample>(
  options?: ClipRandomGrayscaleOptions,
): MonoTypeOperatorFunction<S>;
export function clipRandomGrayscale(options: ClipRandomGrayscaleOptions = {}): OperatorFunction<Sample, Sample> {
  checkOptionKeys('clipRandomGrayscale', options, CLIP_RANDOM_GRAYSCALE_KEYS);
  const { p, fields, handler, seed } = resolveGrayscale('create a clip random grayscale', options);
  return clipStage({
    verb: 'grayscale',
    name: 'clip-random-grayscale',
    seed,
    fields,
    handler,
    apply: (clip, rng): VideoClip => {
      if (!(rng.float() < p)) return clip;
      const [T, H, W, C] = clip.shape;
      if (!(clip.data instanceof Uint8Array))
        throw new Error(
          'Cannot turn a Float32 clip grey as clipRandomGrayscale works on 8-bit pixels (put it before normalising)',
        );
      if (C === 1) return clip;
      if (C !== 3) throw new Error(`Cannot turn a clip of ${C} channels grey as it must have 1 or 3`);
      // The luma is per pixel, so the whole clip goes through the image kernel at once (every frame alike).
      return { ...clip, data: grayscale3(clip.data, new Uint8Array(clip.data.length)), shape: [T, H, W, C] };
    },
  });
}
