import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { ErrorHandler, HandlerName } from '../sources/handlers.js';
import type { Sample, SampleIdentity } from '../sources/sample.js';
import type { VideoClip } from '../sources/video/video-clip.js';
import type { ColorJitterOptions } from './color-jitter.js';
import { drawJitter, jitterFrames } from './internal/clip-jitter.js';
import { clipStage } from './internal/clip-stage.js';
import { resolveColorJitter } from './internal/resolve-color-jitter.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const CLIP_COLOR_JITTER_KEYS = optionKeys<ClipColorJitterOptions>({
  fields: true,
  handler: true,
  seed: true,
  onSeed: true,
  p: true,
  brightness: true,
  contrast: true,
  saturation: true,
  hue: true,
});

/**
 * Options of {@link clipColorJitter}: those of {@link colorJitter} (`brightness`, `contrast`,
 * `saturation`, `hue`, `p`, `seed`, `onSeed`, with the same defaults and checks), drawn once per
 * clip, plus the clip operator's own `fields` and `handler`.
 */
export interface ClipColorJitterOptions extends Omit<ColorJitterOptions, 'fields' | 'handler'> {
  /** The clip fields to jitter (a `VideoClip` or an array of them). @default every field whose value is a clip or a non-empty array of clips */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), or whose clip is not
   * decoded, not 8-bit, has other than 1 or 3 channels, or data not matching its shape
   * (`'clip-color-jitter'`): it is skipped and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * Randomly changes the brightness, contrast, saturation and hue of each video clip with
 * probability `p`, the SAME way for every frame of a clip: the video form of {@link colorJitter}
 * (MoCo-v2's jitter, applied per clip as video contrastive learning does, so that colour does not
 * flicker inside a positive). Per jittered clip: one order of the four adjustments and one factor
 * each (an option left at 0 is skipped), drawn from `(seed, 'clip-color-jitter', epoch, key, field,
 * clip index)` (and the view, inside {@link twoViews}), then applied to every frame with the
 * image operator's Pillow-exact kernels. Contrast blends with each frame's own mean luma (as
 * torchvision does on a video tensor), so frames that are equal stay equal.
 *
 * 8-bit clips only (`Uint8Array`, before normalising), of 1 or 3 channels; a 1-channel clip gets
 * brightness and contrast only. The output is a new clip with a new `Uint8Array` and the input's
 * `fps`, `start`, `stride` and `padded`; the input is never modified. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad factor, p, seed, fields or handler.
 * @example
 * createLoader(source, decodeClips({ frames: 16 }), clipRandomResizedCrop({ size: 112, seed: 1 }),
 *   clipColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, seed: 2 }), batch(8));
 * @see colorJitter
 */
export function clipColorJitter<S extends SampleIdentity = Sample>(
  options?: ClipColorJitterOptions,
): MonoTypeOperatorFunction<S>;
export function clipColorJitter(options: ClipColorJitterOptions = {}): OperatorFunction<Sample, Sample> {
  checkOptionKeys('clipColorJitter', options, CLIP_COLOR_JITTER_KEYS);
  const { ranges, p, fields, handler, seed, active } = resolveColorJitter('create a clip color jitter', options);
  return clipStage({
    verb: 'jitter the colours of',
    name: 'clip-color-jitter',
    seed,
    fields,
    handler,
    apply: (clip, rng): VideoClip => {
      if (!active) return clip;
      const draw = drawJitter(rng, p, ranges);
      if (draw === null) return clip;
      const [T, H, W, C] = clip.shape;
      if (!(clip.data instanceof Uint8Array))
        throw new Error(
          'Cannot jitter the colours of a Float32 clip as clipColorJitter works on 8-bit pixels (put it before normalising)',
        );
      if (C !== 1 && C !== 3)
        throw new Error(`Cannot jitter the colours of a clip of ${C} channels as it must have 1 or 3`);
      const data = clip.data.slice();
      jitterFrames(data, C, H * W * C, draw);
      return { ...clip, data, shape: [T, H, W, C] };
    },
  });
}
