import { Observable, type OperatorFunction } from 'rxjs';
import { SampleError, checkInteger, rangeError, typeError } from '../sources/errors.js';
import { resolveHandler, type ErrorHandler, type HandlerName } from '../sources/handlers.js';
import { holding, type HoldingOperatorFunction } from '../sources/loader.js';
import { describeKey, describeUrl, settleSkipped, type Sample, type SampleIdentity } from '../sources/sample.js';
import { clipSpan, planClips, type ClipMode, type ClipSampling } from '../sources/video/clip-plan.js';
import { findFfmpegBinaries, type FfmpegBinaries } from '../sources/video/ffmpeg-binaries.js';
import { readClips, type ClipReadStats, type ReadClips } from '../sources/video/read-clips.js';
import { VideoFrameDecoder, type VideoScaler } from '../sources/video/video-frame-decoder.js';
import { isVideoField, type VideoClip } from '../sources/video/video-clip.js';
import { resolveSeed } from './internal/resolve-seed.js';
import { sampleRandom } from './internal/sample-random.js';
import { subscribeSource } from './internal/subscribe-source.js';
import { parallelMap } from './parallel-map.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const DECODE_CLIPS_KEYS = optionKeys<DecodeClipsOptions>({
  field: true,
  into: true,
  frames: true,
  stride: true,
  fps: true,
  size: true,
  crop: true,
  scaler: true,
  mode: true,
  clips: true,
  short: true,
  seed: true,
  onSeed: true,
  concurrency: true,
  threads: true,
  maxFrames: true,
  handler: true,
  binaries: true,
  onStats: true,
});

type VideoExtension = 'mp4' | 'avi' | 'webm' | 'mkv' | 'mov';

/**
 * What {@link decodeClips} emits: the sample without its video field (`Field`, or every field
 * with a video extension when none is named), plus `Into` (`'clips'`), the `VideoClip[]`.
 */
export type ClipsSample<
  S,
  Field extends string = never,
  Into extends string = 'clips',
  Clips extends readonly VideoClip[] = VideoClip[],
> = string extends Field | Into
  ? Sample // names known only at run time: any field
  : {
      [
        K in keyof S as K extends Into
          ? never
          : [Field] extends [never]
            ? K extends VideoExtension | `${string}.${VideoExtension}`
              ? never
              : K
            : K extends Field
              ? never
              : K
      ]: S[K];
    } & { [K in Into]: Clips };

/** `N` clips as a tuple (so `clips[1]` is a `VideoClip` even with `noUncheckedIndexedAccess`); an array beyond 16 or for an unknown `N`. */
type ClipTuple<N extends number, Acc extends VideoClip[] = []> = number extends N
  ? VideoClip[]
  : Acc['length'] extends N
    ? Acc
    : Acc['length'] extends 16
      ? VideoClip[]
      : ClipTuple<N, [...Acc, VideoClip]>;

/** The clips per video `decodeClips` makes: 1 in mode `random`, else `clips` (default 2 for `multi`, 4 for `uniform`). */
type ClipCount<Mode, N> = Mode extends 'random' ? 1 : [N] extends [never] ? (Mode extends 'uniform' ? 4 : 2) : N;

/** Options of {@link decodeClips}. */
export interface DecodeClipsOptions {
  /** The video field to decode (bytes). @default the first field whose extension is a video (`mp4`, `avi`, `webm`, `mkv`, `mov`) */
  readonly field?: string;
  /** The field that receives the `VideoClip[]`; the video field is removed. @default 'clips' */
  readonly into?: string;
  /** Frames per clip (T). @default 16 */
  readonly frames?: number;
  /** Step between the frames of a clip, in decoded frames (after `fps` resampling). @default 1 */
  readonly stride?: number;
  /** Target frames per second (ffmpeg's `fps` filter, which also makes variable-frame-rate videos regular). @default the video's own frames */
  readonly fps?: number;
  /** Frames are scaled so that their short side is `size` pixels (aspect ratio kept). @default 112 */
  readonly size?: number;
  /** ... then centre-cropped to `crop` x `crop` (at most `size`). @default size */
  readonly crop?: number;
  /**
   * Resize algorithm (ffmpeg swscale). `'fast_bilinear'` roughly halves the decode time of large
   * videos (measured: 720x528 mpeg4 -> 112 px, 188 -> 101 ms per 270 frames) at the cost of more
   * aliasing; `'area'` is the best quality for strong downscaling.
   * @default 'bilinear'
   */
  readonly scaler?: VideoScaler;
  /**
   * `'random'`: one clip at a random start (seeded per seed, epoch and key). `'uniform'`: `clips`
   * evenly spaced clips from the first frame to the last. `'multi'`: `clips` random clips of the
   * video, with distinct starts when the video has room (positives for contrastive learning).
   * @default 'random'
   */
  readonly mode?: ClipMode;
  /** Clips per video (`uniform`, `multi`; `random` makes exactly 1). @default 1 for random, 2 for multi, 4 for uniform */
  readonly clips?: number;
  /**
   * A video with fewer decoded frames than a clip spans (`(frames - 1) * stride + 1`): `'pad'`
   * repeats its last frame (the clip's `padded` counts them); `'skip'` drops the sample, counted
   * in the accounting under reason `'short-video'` (a deliberate skip: no error, no handler).
   * @default 'pad'
   */
  readonly short?: 'pad' | 'skip';
  /** Seed of the clip starts (`random`, `multi`). @default a fresh seed, reported through `onSeed` */
  readonly seed?: number;
  /** Called with the seed picked when none is given. @default a line on stderr */
  readonly onSeed?: (seed: number) => void;
  /** ffmpeg processes (videos) decoding at once. @default 2 */
  readonly concurrency?: number;
  /** Decoder threads per ffmpeg process (`-threads`). @default 1 */
  readonly threads?: number;
  /**
   * Most frames decoded per video (`-frames:v`): clips are placed within them. A guard, not what
   * bounds memory: frames stream into the clips that contain them and are not kept otherwise.
   * @default no limit
   */
  readonly maxFrames?: number;
  /**
   * Called after each video is read (not for one that fails), with what it cost: `framesRead`,
   * `peakFramesHeld` (at most `clips x frames` for a video whose container declares its duration,
   * whatever its length), `decodes` (2 when the video ended before the frame count its container
   * declared and the re-planned clips needed frames already dropped), `frameCount`, `input`
   * (`'stdin'` or `'file'`), and the sample's `key`.
   * @default none
   */
  readonly onStats?: (stats: DecodeClipsStats) => void;
  /**
   * Error policy for a video that cannot be decoded (ffmpeg fails, no frame, no video field):
   * a `SampleError` with reason `'video-decode'` naming the shard, key, field and ffmpeg's last
   * stderr line; the sample is skipped (counted), or the stream errors or stops.
   * @default 'reraise'
   */
  readonly handler?: ErrorHandler | HandlerName;
  /** The ffmpeg binary to use. @default findFfmpegBinaries() (FFMPEG_PATH, else PATH, else the npm-bundled binary) */
  readonly binaries?: FfmpegBinaries;
}

/** What {@link DecodeClipsOptions.onStats} receives for each video. */
export interface DecodeClipsStats extends ClipReadStats {
  /** The sample's `__key__`. */
  readonly key: string;
}

const ACTION = 'create a decodeClips';
const MODES: readonly ClipMode[] = ['random', 'uniform', 'multi'];
const SCALERS: readonly VideoScaler[] = ['fast_bilinear', 'bilinear', 'bicubic', 'area', 'neighbor'];
const DEFAULT_CLIPS: Readonly<Record<ClipMode, number>> = { random: 1, multi: 2, uniform: 4 };

/** A sample dropped as too short (carries the input's lineage, see carryIdentity). */
class ShortVideo {
  constructor(readonly error: SampleError) {}
}

/**
 * Decodes the video field of each sample into clips: `[T, H, W, 3]` uint8 `VideoClip`s (`frames`
 * x `crop` x `crop` RGB), placed by `mode` in the video's frames after `fps` resampling, with
 * frame `stride`. One ffmpeg process per video (started by a small `/bin/sh` helper per stage, so that
 * Node does not fork itself per video; the bytes through its stdin when the container allows) decodes all of its clips at once, and stops after the last frame the clips
 * need when the container declares its duration; at most `concurrency` processes run (a
 * `parallelMap`, ordered). Use it on shards of mp4/avi/webm/mkv/mov bytes, e.g. before a
 * contrastive sink (`mode: 'multi'`) or for evaluation (`mode: 'uniform'`).
 *
 * The output sample keeps `__key__`, `__url__` and its lineage, loses the video field and gains
 * `into` (a `VideoClip[]`). Memory: the stage holds at most `2 x concurrency` samples (declared to
 * `createLoader`); frames stream from ffmpeg into the clips whose windows contain them and are not
 * kept otherwise, so a video costs its clips (`clips x frames` frames at `crop` size), not its
 * length (see `onStats`). A video whose container declares no duration keeps up to
 * `clips x frames` frames until it is counted, and is decoded again beyond that.
 * Lifecycle: on complete, error or unsubscribe every ffmpeg process and the helper are killed and
 * the stage's temporary folder (under `os.tmpdir()`: the helper's FIFOs, and mp4/mov files whose
 * index comes last) removed.
 *
 * Deterministic given a seed: clip starts derive from (seed, epoch, key), and the pixels from the bytes.
 *
 * @example
 * const loader = createLoader(fromShards('videos/train-{000..009}.tar', { seed: 1 }),
 *   decodeClips({ frames: 16, stride: 2, size: 128, crop: 112, mode: 'multi', clips: 2, seed: 1 }));
 * for await (const s of loader) console.log(s.__key__, s.clips.map((c) => c.shape)); // s.clips: VideoClip[]
 * @throws RangeError/TypeError when an option is invalid, Error when no ffmpeg is found. At run
 * time a broken video raises a `SampleError` (reason `'video-decode'`) through `handler`.
 * @see stackClips, to batch the clips.
 */
export function decodeClips<
  S extends SampleIdentity = Sample,
  const Field extends string = never,
  const Into extends string = 'clips',
  const Mode extends ClipMode = 'random',
  const N extends number = never,
>(
  options?: DecodeClipsOptions & {
    readonly field?: Field;
    readonly into?: Into;
    readonly mode?: Mode;
    readonly clips?: N;
  },
): HoldingOperatorFunction<S, ClipsSample<S, Field, Into, ClipTuple<ClipCount<Mode, N>>>>;
export function decodeClips(options: DecodeClipsOptions = {}): HoldingOperatorFunction<never, unknown> {
  checkOptionKeys('decodeClips', options, DECODE_CLIPS_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const field = options.field;
  if (field !== undefined && (typeof field !== 'string' || field === ''))
    throw typeError(ACTION, 'field must be a non-empty string', field);
  const into = options.into ?? 'clips';
  if (typeof into !== 'string' || into === '' || into.startsWith('__'))
    throw typeError(ACTION, 'into must be a non-empty field name not starting with __', into);
  const frames = checkInteger(ACTION, 'frames', options.frames ?? 16, 1, 100_000);
  const stride = checkInteger(ACTION, 'stride', options.stride ?? 1, 1, 100_000);
  const fps = options.fps;
  if (fps !== undefined && (typeof fps !== 'number' || !Number.isFinite(fps)))
    throw typeError(ACTION, 'fps must be a finite number', fps);
  if (fps !== undefined && (fps <= 0 || fps > 1000)) throw rangeError(ACTION, 'fps must be in (0, 1000]', fps);
  const size = checkInteger(ACTION, 'size', options.size ?? 112, 1, 16_384);
  const crop = checkInteger(ACTION, 'crop', options.crop ?? size, 1, size);
  const scaler = options.scaler ?? 'bilinear';
  if (!SCALERS.includes(scaler)) throw rangeError(ACTION, `scaler must be one of ${SCALERS.join(', ')}`, scaler);
  const mode = options.mode ?? 'random';
  if (!MODES.includes(mode)) throw rangeError(ACTION, `mode must be one of ${MODES.join(', ')}`, mode);
  const clips = checkInteger(ACTION, 'clips', options.clips ?? DEFAULT_CLIPS[mode], 1, 10_000);
  if (mode === 'random' && clips !== 1)
    throw rangeError(ACTION, "clips must be 1 in mode 'random' (use 'multi' for several random clips)", clips);
  const short = options.short ?? 'pad';
  if (short !== 'pad' && short !== 'skip') throw rangeError(ACTION, "short must be 'pad' or 'skip'", short);
  const concurrency = checkInteger(ACTION, 'concurrency', options.concurrency ?? 2, 1, 256);
  const threads = checkInteger(ACTION, 'threads', options.threads ?? 1, 0, 64);
  const maxFrames =
    options.maxFrames === undefined ? undefined : checkInteger(ACTION, 'maxFrames', options.maxFrames, 1, 10_000_000);
  const handler = resolveHandler(options.handler);
  const onStats = options.onStats;
  if (onStats !== undefined && typeof onStats !== 'function')
    throw typeError(ACTION, 'onStats must be a function', onStats);
  const seed = mode === 'uniform' && options.seed === undefined ? 0 : resolveSeed(ACTION, options.seed, options.onSeed);
  const binaries = options.binaries ?? findFfmpegBinaries();
  const sampling: ClipSampling = { frames, stride, mode, clips };
  const span = clipSpan(sampling);

  const op: OperatorFunction<Sample, Sample> = (source) =>
    new Observable<Sample>((subscriber) => {
      const decoder = new VideoFrameDecoder(binaries);
      const decodeOne = async (sample: Sample, _index: number, signal: AbortSignal): Promise<Sample | ShortVideo> => {
        const name = field ?? Object.keys(sample).find((k) => !k.startsWith('__') && isVideoField(k));
        const site = { url: describeUrl(sample), key: describeKey(sample), field: name };
        if (name === undefined)
          throw new SampleError(
            'video-decode',
            'Cannot decode clips as the sample has no video field (mp4, avi, webm, mkv, mov)',
            site,
          );
        const bytes = sample[name];
        if (!(bytes instanceof Uint8Array))
          throw new SampleError(
            'video-decode',
            `Cannot decode clips as the video field must hold bytes: it holds ${bytes === undefined ? 'nothing' : typeof bytes}`,
            site,
          );
        const plan = (n: number) => planClips(n, sampling, sampleRandom(seed, 'decode-clips', sample));
        let read: ReadClips;
        try {
          read = await readClips(decoder, {
            bytes,
            extension: name.slice(name.lastIndexOf('.') + 1),
            size,
            crop,
            scaler,
            fps,
            threads,
            maxFrames,
            signal,
            plan,
            span,
            hold: clips * frames,
            skipShort: short === 'skip',
          });
        } catch (error) {
          if (error instanceof Error && error.name === 'AbortError') throw error;
          throw new SampleError('video-decode', 'Cannot decode video', site, error);
        }
        onStats?.({ key: describeKey(sample), ...read.stats });
        const n = read.frameCount;
        if (read.data === undefined) {
          return new ShortVideo(
            new SampleError(
              'short-video',
              `Cannot cut a ${frames}-frame clip (stride ${stride}, span ${span}) as the video has ${n} decoded frame(s)`,
              site,
            ),
          );
        }
        const data = read.data;
        const out: VideoClip[] = read.windows.map((w, k) => ({
          data: data[k] as Uint8Array,
          shape: [frames, crop, crop, 3],
          fps: read.fps,
          start: w.start,
          stride,
          padded: w.padded,
        }));
        const result: Sample = { ...sample, [into]: out };
        delete result[name];
        return result;
      };
      const decoded$ = parallelMap(decodeOne, { concurrency, ordered: true, handler })(source);
      const inner = subscribeSource(decoded$, subscriber, {
        next: (item) => {
          if (item instanceof ShortVideo) settleSkipped(item, 'short-video', item.error);
          else subscriber.next(item);
        },
      });
      return () => {
        inner.unsubscribe();
        decoder.close();
      };
    });
  return holding(2 * concurrency, op);
}
