import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { ErrorHandler, HandlerName } from '../sources/handlers.js';
import type { Sample, SampleIdentity } from '../sources/sample.js';
import type { VideoClip } from '../sources/video/video-clip.js';
import { clipStage } from './internal/clip-stage.js';
import { resizedCropBox } from './internal/resized-crop-box.js';
import { resizeBilinear } from './image/resize.js';
import { resolveResizedCrop } from './internal/resolve-resized-crop.js';
import type { RandomResizedCropOptions } from './random-resized-crop.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const CLIP_RANDOM_RESIZED_CROP_KEYS = optionKeys<ClipRandomResizedCropOptions>({
  fields: true,
  handler: true,
  size: true,
  scale: true,
  ratio: true,
  seed: true,
  onSeed: true,
});

/**
 * Options of {@link clipRandomResizedCrop}: those of {@link randomResizedCrop} (`size`, `scale`,
 * `ratio`, `seed`, `onSeed`, with the same defaults and checks), one box per clip for all its
 * frames, plus the clip operator's own `fields` and `handler`.
 */
export interface ClipRandomResizedCropOptions extends Omit<RandomResizedCropOptions, 'fields' | 'handler'> {
  /** The clip fields to crop (a `VideoClip` or an array of them). @default every field whose value is a clip or a non-empty array of clips */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), whose named field is not
   * a decoded clip or array of clips, or that holds a clip with empty frames or data not matching
   * its shape (`'clip-random-resized-crop'`): it is skipped and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
}

/**
 * Crops a random part of each video clip and resizes it to `size`, with ONE box for all the frames
 * of a clip: the video form of {@link randomResizedCrop} (torchvision's `RandomResizedCrop` box, as
 * video MoCo/CVRL apply it to a whole clip), a positive augmentation. The box is drawn per clip from
 * `(seed, 'clip-random-resized-crop', epoch, key, field, clip index)` (and the view, inside
 * {@link twoViews}): each clip of an array field gets its own box; then every frame goes through
 * the image operator's Pillow-exact bilinear resampling (bit-exact on `Uint8Array`, the same weights
 * in floating point on `Float32Array`; the element type is kept). The result is a new clip of
 * shape `[T, size_h, size_w, C]` with the input's `fps`, `start`, `stride` and `padded`; the input
 * is never modified. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad size, scale, ratio, seed, fields or handler.
 * @example
 * createLoader(source, decodeClips({ frames: 16 }), clipRandomResizedCrop({ size: 112, scale: [0.2, 1], seed: 1 }), batch(8));
 * @see randomResizedCrop
 */
export function clipRandomResizedCrop<S extends SampleIdentity = Sample>(
  options: ClipRandomResizedCropOptions,
): MonoTypeOperatorFunction<S>;
export function clipRandomResizedCrop(options: ClipRandomResizedCropOptions): OperatorFunction<Sample, Sample> {
  checkOptionKeys('clipRandomResizedCrop', options, CLIP_RANDOM_RESIZED_CROP_KEYS);
  const { h, w, scale, ratio, fields, handler, seed } = resolveResizedCrop(
    'create a clip random resized crop',
    options,
  );
  return clipStage({
    verb: 'crop',
    name: 'clip-random-resized-crop',
    seed,
    fields,
    handler,
    apply: (clip, rng): VideoClip => {
      const [T, H, W, C] = clip.shape;
      if (H < 1 || W < 1)
        throw new Error(`Cannot crop a clip of ${H}x${W} frames as they must have at least one pixel`);
      const box = resizedCropBox(rng, H, W, scale, ratio);
      const src = clip.data;
      const per = H * W * C;
      const outPer = h * w * C;
      const data = src instanceof Float32Array ? new Float32Array(T * outPer) : new Uint8Array(T * outPer);
      for (let t = 0; t < T; t++)
        data.set(resizeBilinear(src.subarray(t * per, (t + 1) * per), W, C, box, h, w), t * outPer);
      return { ...clip, data, shape: [T, h, w, C] };
    },
  });
}
