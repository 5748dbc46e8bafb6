import { Observable, type OperatorFunction } from 'rxjs';
import type { ErrorHandler } from '../../sources/handlers.js';
import { Random } from '../../sources/random.js';
import type { Sample } from '../../sources/sample.js';
import { isVideoClip, type VideoClip } from '../../sources/video/video-clip.js';
import { sampleRandom } from './sample-random.js';
import { handleStageError } from './stage-error.js';
import { subscribeSource } from './subscribe-source.js';

/** What one per-clip augmentation (`clipRandomFlip`, `clipColorJitter`, ...) does, for {@link clipStage}. */
export interface ClipStageSpec {
  /** Verb for run-time messages: `Cannot <verb> field "clips" as ...`. */
  readonly verb: string;
  /**
   * The operator's name: the accounting reason of a sample whose clip cannot be processed, and the
   * name its per-clip randomness derives from (`'clip-random-flip'`).
   */
  readonly name: string;
  /** The seed of the per-clip draws. */
  readonly seed: number;
  /** The fields to process; undefined: every field whose value is a clip or a non-empty array of clips. */
  readonly fields: readonly string[] | undefined;
  readonly handler: ErrorHandler;
  /**
   * Processes one clip with its own generator (drawn from (seed, name, epoch, key, view, field,
   * clip index)): returns a new clip (never modifying its input), the clip itself to leave it as it
   * is, or throws an Error for a clip it cannot process (the sample is skipped under `name`).
   */
  readonly apply: (clip: VideoClip, rng: Random) => VideoClip;
}

/** True when a value is a clip or an array of clips (the form `decodeClips` writes). */
function isClipValue(value: unknown): value is VideoClip | readonly VideoClip[] {
  return isVideoClip(value) || (Array.isArray(value) && value.every(isVideoClip));
}

/**
 * The skeleton shared by the per-clip augmentation operators: finds the sample's clip fields (a
 * `VideoClip`, or an array of them as `decodeClips` makes for several clips of one video; the named
 * fields must exist and hold one of those, else the sample goes to the handler with reason
 * `'missing-field'` or the operator's name), checks each clip's data against its shape, applies the
 * operator to every clip with the clip's own generator, and emits a new sample (`{...sample}`: same
 * key, url and lineage), or the sample itself when no clip changed. Synchronous; stops pulling as soon
 * as its subscriber closes.
 *
 * The generator of clip `i` of field `f` derives from the sample's generator (`sampleRandom(seed,
 * name, sample)`: seed, name, epoch, key and `twoViews`' view) and `(f, i)`; a single clip is index
 * 0. So every clip gets its own draw, reproducible whatever the order or concurrency of the stages.
 */
export function clipStage(spec: ClipStageSpec): OperatorFunction<Sample, Sample> {
  const { verb, name, seed, fields, handler, apply } = spec;
  return (source) =>
    new Observable<Sample>((subscriber) =>
      subscribeSource(source, subscriber, {
        next: (sample) => {
          if (subscriber.closed) return;
          const names =
            fields ??
            Object.keys(sample).filter(
              (f) =>
                isVideoClip(sample[f]) ||
                (Array.isArray(sample[f]) && (sample[f] as unknown[]).length > 0 && isClipValue(sample[f])),
            );
          for (const field of names) {
            const value = sample[field];
            if (!isClipValue(value)) {
              const missing = value === undefined;
              const message = missing
                ? `Cannot ${verb} field ${JSON.stringify(field)} as the sample lacks it`
                : `Cannot ${verb} field ${JSON.stringify(field)} as it must be a decoded video clip or an array of clips (decode the video into clips first)`;
              handleStageError(
                handler,
                new Error(message),
                sample,
                missing ? 'missing-field' : name,
                subscriber,
                field,
              );
              return;
            }
          }
          if (names.length === 0) {
            subscriber.next(sample);
            return;
          }
          const base = sampleRandom(seed, name, sample).int(0, 0xffffffff);
          const out: Sample = { ...sample };
          let changed = false;
          for (const field of names) {
            const value = sample[field] as VideoClip | readonly VideoClip[];
            try {
              if (Array.isArray(value)) {
                const clips = value as readonly VideoClip[];
                const next = clips.map((clip, i) => processClip(clip, field, i));
                if (next.some((c, i) => c !== clips[i])) {
                  out[field] = next;
                  changed = true;
                }
              } else {
                const next = processClip(value as VideoClip, field, 0);
                if (next !== value) {
                  out[field] = next;
                  changed = true;
                }
              }
            } catch (error) {
              handleStageError(handler, error, sample, name, subscriber, field);
              return;
            }
          }
          subscriber.next(changed ? out : sample);

          function processClip(clip: VideoClip, field: string, index: number): VideoClip {
            checkClipData(verb, field, index, clip);
            return apply(clip, Random.derive(base, name, field, index));
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}

/** Throws when a clip's data does not hold T*H*W*C values of its shape. */
function checkClipData(verb: string, field: string, index: number, clip: VideoClip): void {
  const shape = clip.shape;
  const ok = shape.every((d) => Number.isInteger(d) && d >= 0);
  const size = ok ? shape[0] * shape[1] * shape[2] * shape[3] : NaN;
  if (clip.data.length !== size) {
    throw new Error(
      `Cannot ${verb} clip ${index} of field ${JSON.stringify(field)} as its data must hold T*H*W*C values of its shape [${shape.join(', ')}]: it holds ${clip.data.length}`,
    );
  }
}
