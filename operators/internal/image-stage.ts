import { Observable, type OperatorFunction } from 'rxjs';
import { rangeError, typeError } from '../../sources/errors.js';
import type { ErrorHandler } from '../../sources/handlers.js';
import { isImage, type Image, type Sample } from '../../sources/sample.js';
import { handleStageError } from './stage-error.js';
import { subscribeSource } from './subscribe-source.js';

/** What one per-image operator (`colorJitter`, `gaussianBlur`, ...) does, for {@link imageStage}. */
export interface ImageStageSpec {
  /** Verb for run-time messages: `Cannot <verb> field "png" as ...`. */
  readonly verb: string;
  /** Accounting reason of a sample whose image cannot be processed (`'color-jitter'`). */
  readonly reason: string;
  /** The fields to process; undefined: every field whose value is a decoded image. */
  readonly fields: readonly string[] | undefined;
  readonly handler: ErrorHandler;
  /**
   * Called once per sample (after its fields were checked): the function to apply to each of its
   * images, or null to emit the sample as it is (e.g. the operator's coin flip said no). The
   * function returns a new image (never modifying its input) or throws an Error for an image it
   * cannot process (skipped under `reason` through the handler).
   */
  readonly prepare: (sample: Sample) => ((image: Image, field: string) => Image) | null;
}

/**
 * The skeleton shared by the per-image augmentation operators: finds the sample's image fields
 * (the named ones must exist and be decoded images, else the sample goes to the handler with
 * reason `'missing-field'` or the operator's reason), applies the operator to each, and emits a
 * new sample (`{...sample}`: same key, url and lineage) with the new images, or the sample itself
 * when nothing changes. Synchronous; stops pulling as soon as its subscriber closes.
 */
export function imageStage(spec: ImageStageSpec): OperatorFunction<Sample, Sample> {
  const { verb, reason, fields, handler, prepare } = spec;
  return (source) =>
    new Observable<Sample>((subscriber) =>
      subscribeSource(source, subscriber, {
        next: (sample) => {
          if (subscriber.closed) return;
          const names = fields ?? Object.keys(sample).filter((f) => isImage(sample[f]));
          for (const field of names) {
            const image = sample[field];
            if (!isImage(image)) {
              const missing = image === undefined;
              const message = missing
                ? `Cannot ${verb} field ${JSON.stringify(field)} as the sample lacks it`
                : `Cannot ${verb} field ${JSON.stringify(field)} as it must be a decoded image (decode first)`;
              handleStageError(
                handler,
                new Error(message),
                sample,
                missing ? 'missing-field' : reason,
                subscriber,
                field,
              );
              return;
            }
          }
          const apply = names.length === 0 ? null : prepare(sample);
          if (apply === null) {
            subscriber.next(sample);
            return;
          }
          const out: Sample = { ...sample };
          for (const field of names) {
            try {
              out[field] = apply(sample[field] as Image, field);
            } catch (error) {
              handleStageError(handler, error, sample, reason, subscriber, field);
              return;
            }
          }
          subscriber.next(out);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}

/** Checks a probability option: a number in [0, 1]. */
export function checkProbability(action: string, name: string, p: unknown): number {
  if (typeof p !== 'number' || Number.isNaN(p)) throw typeError(action, `${name} must be a number`, p);
  if (p < 0 || p > 1) throw rangeError(action, `${name} must be in [0, 1]`, p);
  return p;
}

/** Checks a finite number option in [min, max] (`max` may be Infinity). */
export function checkNumber(action: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(action, `${name} must be a number`, value);
  if (!Number.isFinite(value) || value < min || value > max) {
    const bounds =
      min === -Infinity && max === Infinity ? '' : max === Infinity ? ` >= ${min}` : ` in [${min}, ${max}]`;
    throw rangeError(action, `${name} must be a finite number${bounds}`, value);
  }
  return value;
}

/** Checks a `[low, high]` pair of finite numbers with `min <= low <= high <= max`. */
export function checkInterval(
  action: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
): readonly [number, number] {
  if (!Array.isArray(value) || value.length !== 2)
    throw typeError(action, `${name} must be a [low, high] pair of numbers`, value);
  const low = checkNumber(action, `${name}[0]`, value[0], min, max);
  const high = checkNumber(action, `${name}[1]`, value[1], min, max);
  if (low > high) throw rangeError(action, `${name}[0] must be <= ${name}[1]`, value);
  return [low, high];
}
