import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { ErrorHandler, HandlerName } from '../sources/handlers.js';
import type { Sample, SampleIdentity } from '../sources/sample.js';
import type { VideoClip } from '../sources/video/video-clip.js';
import { clipStage } from './internal/clip-stage.js';
import { flipFrames } from './image/flip-frames.js';
import { resolveFlip } from './internal/resolve-flip.js';
import type { RandomFlipOptions } from './random-flip.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const CLIP_RANDOM_FLIP_KEYS = optionKeys<ClipRandomFlipOptions>({
  fields: true,
  handler: true,
  seed: true,
  onSeed: true,
  p: true,
  direction: true,
});

/**
 * Options of {@link clipRandomFlip}: those of {@link randomFlip} (`p`, `direction`, `seed`,
 * `onSeed`, with the same defaults and checks), one decision per clip, plus the clip operator's own
 * `fields` and `handler`.
 */
export interface ClipRandomFlipOptions extends Omit<RandomFlipOptions, 'fields' | 'handler'> {
  /** The clip fields to flip (a `VideoClip` or an array of them). @default every field whose value is a clip or a non-empty array of clips */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), or whose named field is
   * not a decoded clip or array of clips, or a clip whose data does not match its shape
   * (`'clip-random-flip'`): it is skipped and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * Mirrors each video clip with probability `p`, the same way for every frame of the clip (the
 * video form of {@link randomFlip}: a positive augmentation of video MoCo). One decision per clip,
 * drawn from `(seed, 'clip-random-flip', epoch, key, field, clip index)` (and the view, inside
 * {@link twoViews}): each clip of an array field (`decodeClips`' several clips of a video) gets its
 * own decision, reproducible whatever the order or concurrency of the stages, different the next
 * epoch. A flipped clip is one copy of the THWC data (`Uint8Array` or `Float32Array`, kept), frame by
 * frame with the image kernel, keeping `fps`, `start`, `stride` and `padded`; a clip left as it is
 * stays the same object, a sample with no flipped clip is emitted as it is, and the input is never
 * modified. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad p, direction, seed, fields or handler.
 * @example
 * createLoader(source, decodeClips({ frames: 16 }), clipRandomResizedCrop({ size: 112, seed: 1 }), clipRandomFlip({ seed: 1 }), batch(8));
 * @see randomFlip
 */
export function clipRandomFlip<S extends SampleIdentity = Sample>(
  options?: ClipRandomFlipOptions,
): MonoTypeOperatorFunction<S>;
export function clipRandomFlip(options: ClipRandomFlipOptions = {}): OperatorFunction<Sample, Sample> {
  checkOptionKeys('clipRandomFlip', options, CLIP_RANDOM_FLIP_KEYS);
  const { p, direction, fields, handler, seed } = resolveFlip('create a clip random flip', options);
  const flip = (clip: VideoClip): VideoClip => {
    const [T, H, W, C] = clip.shape;
    return { ...clip, data: flipFrames(clip.data, T, H, W, C, direction), shape: [T, H, W, C] };
  };
  return clipStage({
    verb: 'flip',
    name: 'clip-random-flip',
    seed,
    fields,
    handler,
    apply: (clip, rng) => (rng.float() < p ? flip(clip) : clip),
  });
}
