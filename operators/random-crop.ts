import { Observable, type OperatorFunction, type MonoTypeOperatorFunction } from 'rxjs';
import { typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { isImage, type Sample, type SampleIdentity } from '../sources/sample.js';
import { checkFields } from './internal/check-fields.js';
import { cropImage, cropWindow, resolveCropSpec, tooSmallMessage } from './internal/crop-window.js';
import { resolveSeed } from './internal/resolve-seed.js';
import { sampleRandom } from './internal/sample-random.js';
import { handleStageError } from './internal/stage-error.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const RANDOM_CROP_KEYS = optionKeys<RandomCropOptions>({
  size: true,
  seed: true,
  pad: true,
  fields: true,
  handler: true,
  onSeed: true,
});

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
export function randomCrop<S extends SampleIdentity = Sample>(options: RandomCropOptions): MonoTypeOperatorFunction<S>;
export function randomCrop(options: RandomCropOptions): OperatorFunction<Sample, Sample> {
  checkOptionKeys('randomCrop', options, RANDOM_CROP_KEYS);
  const action = 'create a random crop';
  if (typeof options !== 'object' || options === null)
    throw typeError(action, 'options must be an object with a size', options);
  const spec = resolveCropSpec(action, options.size, options.pad);
  const fields = checkFields(action, options.fields);
  const handler = resolveHandler(options.handler);
  const seed = resolveSeed(action, options.seed, options.onSeed);
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
              const message = missing
                ? `Cannot crop field ${JSON.stringify(field)} as the sample lacks it`
                : `Cannot crop field ${JSON.stringify(field)} as it must be a decoded image (decode first)`;
              handleStageError(
                handler,
                new Error(message),
                sample,
                missing ? 'missing-field' : 'random-crop',
                subscriber,
                field,
              );
              return;
            }
            const [H, W] = image.shape;
            const win = cropWindow(sampleRandom(seed, 'random-crop', sample), H, W, spec);
            if (!win) {
              handleStageError(
                handler,
                new Error(tooSmallMessage(H, W, spec)),
                sample,
                'random-crop',
                subscriber,
                field,
              );
              return;
            }
            out[field] = cropImage(image, win);
          }
          subscriber.next(out);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
