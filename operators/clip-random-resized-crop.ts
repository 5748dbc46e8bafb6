import type { OperatorFunction } from 'rxjs';
import { rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import type { Sample } from '../sources/sample.js';
import type { VideoClip } from '../sources/video/video-clip.js';
import { checkFields } from './internal/check-fields.js';
import { clipStage } from './internal/clip-stage.js';
import { resolveCropSpec } from './internal/crop-window.js';
import { checkInterval } from './internal/image-stage.js';
import { resizedCropBox } from './internal/resized-crop-box.js';
import { resizeBilinear } from './internal/resize.js';
import { resolveSeed } from './internal/resolve-seed.js';

/** Options of {@link clipRandomResizedCrop}. */
export interface ClipRandomResizedCropOptions {
  /** Output frame size: `[height, width]`, or one number for a square. */
  readonly size: number | readonly [number, number];
  /** Bounds of the crop's area as a fraction of the frame's area, `0 < low <= high`. @default [0.08, 1] */
  readonly scale?: readonly [number, number];
  /** Bounds of the crop's aspect ratio (width / height), drawn log-uniformly, `0 < low <= high`. @default [3/4, 4/3] */
  readonly ratio?: readonly [number, number];
  /** Seed of the per-clip crops. @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /** The clip fields to crop (a `VideoClip` or an array of them). @default every field whose value is a clip or a non-empty array of clips */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), whose named field is not
   * a decoded clip or array of clips, or that holds a clip with empty frames or data not matching
   * its shape (`'clip-random-resized-crop'`): it is skipped and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
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
export function clipRandomResizedCrop(options: ClipRandomResizedCropOptions): OperatorFunction<Sample, Sample> {
  const action = 'create a clip random resized crop';
  if (typeof options !== 'object' || options === null) throw typeError(action, 'options must be an object with a size', options);
  const { h, w } = resolveCropSpec(action, options.size, 0);
  const scale = checkInterval(action, 'scale', options.scale ?? [0.08, 1], 0, Infinity);
  if (scale[0] <= 0) throw rangeError(action, 'scale[0] must be > 0', scale[0]);
  const ratio = checkInterval(action, 'ratio', options.ratio ?? [3 / 4, 4 / 3], 0, Infinity);
  if (ratio[0] <= 0) throw rangeError(action, 'ratio[0] must be > 0', ratio[0]);
  const fields = checkFields(action, options.fields);
  const handler = resolveHandler(options.handler);
  const seed = resolveSeed(action, 'clipRandomResizedCrop', options.seed, options.onSeed);
  return clipStage({
    verb: 'crop',
    name: 'clip-random-resized-crop',
    seed,
    fields,
    handler,
    apply: (clip, rng): VideoClip => {
      const [T, H, W, C] = clip.shape;
      if (H < 1 || W < 1) throw new Error(`Cannot crop a clip of ${H}x${W} frames as they must have at least one pixel`);
      const box = resizedCropBox(rng, H, W, scale, ratio);
      const src = clip.data;
      const per = H * W * C;
      const outPer = h * w * C;
      const data = src instanceof Float32Array ? new Float32Array(T * outPer) : new Uint8Array(T * outPer);
      for (let t = 0; t < T; t++) data.set(resizeBilinear(src.subarray(t * per, (t + 1) * per), W, C, box, h, w), t * outPer);
      return { ...clip, data, shape: [T, h, w, C] };
    },
  });
}
