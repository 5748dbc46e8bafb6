import { Observable, type OperatorFunction } from 'rxjs';
import { checkInteger, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { isImage, type Image, type Sample } from '../sources/sample.js';
import { checkFields } from './internal/check-fields.js';
import { resolveSeed } from './internal/resolve-seed.js';
import { sampleRandom } from './internal/sample-random.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';

/** Options of {@link randomCrop}. */
export interface RandomCropOptions {
  /** Output size: `[height, width]`, or one number for a square. */
  readonly size: number | readonly [number, number];
  /** Seed of the per-sample crops. @default a fresh seed, reported with `onSeed` */
  readonly seed?: number;
  /**
   * Zero pixels added on every side before cropping (as torchvision's `RandomCrop(32, padding=4)`
   * for CIFAR): the crop may then reach `pad` pixels past each edge, which read as 0.
   * @default 0
   */
  readonly pad?: number;
  /** The image fields to crop. @default every field whose value is a decoded `Image` */
  readonly fields?: readonly string[];
  /**
   * What to do with a sample whose image is smaller than the crop (even padded), or that lacks a
   * named field or whose named field is not a decoded image: the sample is skipped under reason
   * `'random-crop'` (`'missing-field'` for a missing field) and counted, then the handler decides.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** Called once, when the operator is created, with the seed picked when none was given. @default prints it to stderr */
  readonly onSeed?: (seed: number) => void;
}

/**
 * Crops each image to `size` at a random place (a positive augmentation). The place is drawn per
 * sample from `(seed, 'random-crop', epoch, key)`, so a sample gets the same crop whatever the
 * order or concurrency of the stages before, and another crop the next epoch; image fields of one
 * sample that have the same size get the same crop (an image and its mask stay aligned). The crop
 * is one copy of the rows it needs from the HWC data (`Uint8Array` or `Float32Array`, kept);
 * the input sample is not modified (a new sample, with the same lineage, is emitted).
 * Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad size, pad, seed, fields or handler; at run time a
 *   `SampleError` (reason `'random-crop'`) through the handler for an image smaller than the crop.
 * @example
 * createLoader(source, decode(), randomCrop({ size: 32, pad: 4, seed: 1 }), randomFlip({ seed: 1 }), batch(64));
 * @see randomFlip
 */
export function randomCrop(options: RandomCropOptions): OperatorFunction<Sample, Sample> {
  const action = 'create a random crop';
  if (typeof options !== 'object' || options === null) throw typeError(action, 'options must be an object with a size', options);
  const size = options.size;
  let h: number;
  let w: number;
  if (typeof size === 'number') {
    h = w = checkInteger(action, 'size', size, 1);
  } else if (Array.isArray(size) && size.length === 2) {
    h = checkInteger(action, 'size[0] (height)', size[0], 1);
    w = checkInteger(action, 'size[1] (width)', size[1], 1);
  } else {
    throw typeError(action, 'size must be a number or [height, width]', size);
  }
  const pad = checkInteger(action, 'pad', options.pad ?? 0, 0);
  const fields = checkFields(action, options.fields);
  const handler = resolveHandler(options.handler);
  const seed = resolveSeed(action, 'randomCrop', options.seed, options.onSeed);
  return (source) =>
    new Observable<Sample>((subscriber) =>
      subscribeSource(source, subscriber, {
        next: (sample) => {
          if (subscriber.closed) return;
          const out: Sample = { ...sample };
          for (const field of fields ?? Object.keys(sample)) {
            const image = sample[field];
            if (!isImage(image)) {
              if (!fields) continue;
              const missing = image === undefined;
              const message = missing ? `Cannot crop field ${JSON.stringify(field)} as the sample lacks it` : `Cannot crop field ${JSON.stringify(field)} as it must be a decoded image (decode first)`;
              handleStageError(handler, new Error(message), sample, missing ? 'missing-field' : 'random-crop', subscriber, field);
              return;
            }
            const [H, W] = image.shape;
            if (H + 2 * pad < h || W + 2 * pad < w) {
              const message = `Cannot crop an image of ${H}x${W}${pad ? ` padded by ${pad}` : ''} to ${h}x${w} as it must be at least as large as the crop`;
              handleStageError(handler, new Error(message), sample, 'random-crop', subscriber, field);
              return;
            }
            const rng = sampleRandom(seed, 'random-crop', sample);
            const y0 = rng.int(0, H + 2 * pad - h);
            const x0 = rng.int(0, W + 2 * pad - w);
            out[field] = cropImage(image, y0 - pad, x0 - pad, h, w);
          }
          subscriber.next(out);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}

/** The `h` x `w` window of `image` whose top-left corner is (`top`, `left`) (may lie outside: zeros there). */
function cropImage(image: Image, top: number, left: number, h: number, w: number): Image {
  const [H, W, C] = image.shape;
  const src = image.data;
  const data = src instanceof Float32Array ? new Float32Array(h * w * C) : new Uint8Array(h * w * C);
  const from = Math.max(0, left);
  const to = Math.min(W, left + w);
  if (from < to) {
    for (let y = 0; y < h; y++) {
      const sy = top + y;
      if (sy < 0 || sy >= H) continue;
      data.set(src.subarray((sy * W + from) * C, (sy * W + to) * C), (y * w + (from - left)) * C);
    }
  }
  return { data, shape: [h, w, C] };
}
