import type { OperatorFunction } from 'rxjs';
import { rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import type { Sample } from '../sources/sample.js';
import type { VideoClip } from '../sources/video/video-clip.js';
import { checkFields } from './internal/check-fields.js';
import { clipStage } from './internal/clip-stage.js';
import { checkProbability } from './internal/image-stage.js';
import { mirrorRows } from './internal/mirror.js';
import { resolveSeed } from './internal/resolve-seed.js';

/** Options of {@link clipRandomFlip}. */
export interface ClipRandomFlipOptions {
  /** Probability that a clip is flipped, in [0, 1]. @default 0.5 */
  readonly p?: number;
  /** `'horizontal'` mirrors left and right, `'vertical'` top and bottom. @default 'horizontal' */
  readonly direction?: 'horizontal' | 'vertical';
  /** Seed of the per-clip decisions. @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /** The clip fields to flip (a `VideoClip` or an array of them). @default every field whose value is a clip or a non-empty array of clips */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample that lacks a named field (`'missing-field'`), or whose named field is
   * not a decoded clip or array of clips, or a clip whose data does not match its shape
   * (`'clip-random-flip'`): it is skipped and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
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
export function clipRandomFlip(options: ClipRandomFlipOptions = {}): OperatorFunction<Sample, Sample> {
  const action = 'create a clip random flip';
  if (typeof options !== 'object' || options === null) throw typeError(action, 'options must be an object', options);
  const p = checkProbability(action, 'p', options.p ?? 0.5);
  const direction = options.direction ?? 'horizontal';
  if (direction !== 'horizontal' && direction !== 'vertical') throw rangeError(action, "direction must be 'horizontal' or 'vertical'", direction);
  const fields = checkFields(action, options.fields);
  const handler = resolveHandler(options.handler);
  const seed = resolveSeed(action, 'clipRandomFlip', options.seed, options.onSeed);
  const flip = direction === 'horizontal' ? flipHorizontal : flipVertical;
  return clipStage({
    verb: 'flip',
    name: 'clip-random-flip',
    seed,
    fields,
    handler,
    apply: (clip, rng) => (rng.float() < p ? flip(clip) : clip),
  });
}

function flipHorizontal(clip: VideoClip): VideoClip {
  const [T, H, W, C] = clip.shape;
  const src = clip.data;
  const per = H * W * C;
  // Frame by frame with the image kernel (its loops are monomorphic per element type).
  if (src instanceof Float32Array) {
    const data = new Float32Array(src.length);
    for (let t = 0; t < T; t++) mirrorRows(src.subarray(t * per, (t + 1) * per), data.subarray(t * per, (t + 1) * per), H, W, C);
    return { ...clip, data, shape: [T, H, W, C] };
  }
  const data = new Uint8Array(src.length);
  for (let t = 0; t < T; t++) mirrorRows(src.subarray(t * per, (t + 1) * per), data.subarray(t * per, (t + 1) * per), H, W, C);
  return { ...clip, data, shape: [T, H, W, C] };
}

function flipVertical(clip: VideoClip): VideoClip {
  const [T, H, W, C] = clip.shape;
  const src = clip.data;
  const data = src instanceof Float32Array ? new Float32Array(src.length) : new Uint8Array(src.length);
  const rowLength = W * C;
  // Every row of every frame: row y of frame t comes from row H-1-y of the same frame.
  for (let t = 0; t < T; t++) {
    const base = t * H * rowLength;
    for (let y = 0; y < H; y++) data.set(src.subarray(base + (H - 1 - y) * rowLength, base + (H - y) * rowLength), base + y * rowLength);
  }
  return { ...clip, data, shape: [T, H, W, C] };
}
