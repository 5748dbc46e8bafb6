import { ClipAssembler } from './clip-assembler.js';
import { lastFrameNeeded, type ClipWindow } from './clip-plan.js';
import { VideoDecodeFailure, type FrameDecodeRequest, type VideoFrameDecoder } from './video-frame-decoder.js';

/** What reading the clips of one video cost (see `readClips`). */
export interface ClipReadStats {
  /** Frames ffmpeg delivered, over every decode of the video. */
  readonly framesRead: number;
  /**
   * Most decoded frames held at once: frames copied into the clips (a frame copied into k clip
   * slots counts k) plus frames kept while the frame count was unknown. At most `clips x frames`
   * (the clips themselves) when the container declares its duration, whatever the video's length;
   * up to twice that, for a moment, when a video that ended early is re-planned, and up to `hold`
   * more while a video that declares no duration is counted.
   */
  readonly peakFramesHeld: number;
  /** ffmpeg runs for the video: 1, or 2 when the first could not keep the frames of the final plan (see `readClips`). */
  readonly decodes: number;
  /** The decoded frame count the clips were placed in: the true count, or the container's when decoding stopped after the last frame needed. */
  readonly frameCount: number;
  /** How the bytes reached ffmpeg (the first decode's). */
  readonly input: 'stdin' | 'file';
}

/** What `readClips` reads: a decode request and the clip plan. */
export interface ClipReadRequest extends Omit<FrameDecodeRequest, 'lastNeeded'> {
  /** Places the clips in `n` decoded frames; pure (the same `n` gives the same windows). */
  readonly plan: (n: number) => ClipWindow[];
  /** Frames one clip spans: a video estimated shorter is decoded whole before it is planned. */
  readonly span: number;
  /** Most decoded frames kept while the frame count is unknown; beyond it they are dropped and the video decoded again once counted. */
  readonly hold: number;
  /** Stop after counting when the video has fewer than `span` frames (no clip is cut). */
  readonly skipShort: boolean;
}

/** The clips of one video. */
export interface ReadClips {
  /** The decoded frame count the clips were placed in. */
  readonly frameCount: number;
  /** Frames per second of the decoded frames. */
  readonly fps: number;
  /** Where each clip lies. */
  readonly windows: readonly ClipWindow[];
  /** Each clip's frames (`frames x crop x crop x 3` bytes); undefined when the video was short and `skipShort` was set. */
  readonly data: Uint8Array[] | undefined;
  readonly stats: ClipReadStats;
}

function sameWindows(a: readonly ClipWindow[], b: readonly ClipWindow[]): boolean {
  return (
    a.length === b.length &&
    a.every((w, k) => {
      const v = b[k] as ClipWindow;
      return w.start === v.start && w.padded === v.padded && w.indices.every((i, t) => i === v.indices[t]);
    })
  );
}

/**
 * Reads the clips of one video in memory that does not depend on its length: frames stream from
 * ffmpeg into the open clip windows only (each is copied into every clip that contains it, then
 * dropped).
 *
 * 1. When the container declares its duration, the clips are planned from its frame count
 *    (`plan(estimate)`) before the first frame arrives, and decoding stops after the last frame
 *    they need. Otherwise (or when the estimate is under one `span`) the frames are kept, up to
 *    `hold` of them, until the count is known.
 * 2. The final plan is `plan(n)` with `n` the true count when the video ended before the last frame
 *    needed, else the estimate (exactly as before streaming). When the video ended early, the clips
 *    are re-planned from the true count: frames already at hand are reused, and when some are
 *    missing (they were dropped) the video is decoded a second time, up to the last frame the new
 *    plan needs. The clips are therefore the same as decoding every frame and cutting them after.
 *
 * @throws what {@link VideoFrameDecoder.stream} throws, and a {@link VideoDecodeFailure} when a
 * second decode gives fewer frames than the first.
 */
export async function readClips(decoder: VideoFrameDecoder, request: ClipReadRequest): Promise<ReadClips> {
  const { plan, span, hold, skipShort, ...decode } = request;
  const frameBytes = decode.crop * decode.crop * 3;
  let framesRead = 0;
  let peak = 0;
  let decodes = 1;
  let first: ClipAssembler | undefined;
  let pending: Uint8Array[] | undefined = []; // frames 0.. while the count is unknown; undefined past `hold`
  /** Frames held now: kept while uncounted, in the first plan's clips, in the final plan's (`out`). */
  const note = (out?: ClipAssembler) => {
    const held = (pending?.length ?? 0) + (first?.filled ?? 0) + (out?.filled ?? 0);
    if (held > peak) peak = held;
  };

  const one = await decoder.stream(
    {
      ...decode,
      lastNeeded: (n) => {
        // an estimate below one span could make a long-enough video look short: count it first then
        if (n < span) return Number.MAX_SAFE_INTEGER;
        first = new ClipAssembler(plan(n), frameBytes);
        pending = undefined;
        return lastFrameNeeded(first.windows);
      },
    },
    (frame, index) => {
      framesRead++;
      if (first !== undefined) first.take(frame, index);
      else if (pending !== undefined && pending.length < hold) pending.push(frame.slice());
      else pending = undefined;
      note();
    },
  );
  const frameCount = one.ended ? one.count : (one.estimatedFrames as number);
  const stats = (): ClipReadStats => ({ framesRead, peakFramesHeld: peak, decodes, frameCount, input: one.input });
  if (frameCount < span && skipShort) return { frameCount, fps: one.fps, windows: [], data: undefined, stats: stats() };

  const windows = plan(frameCount);
  if (first !== undefined && first.complete && sameWindows(first.windows, windows))
    return { frameCount, fps: one.fps, windows, data: first.data, stats: stats() };
  const out = new ClipAssembler(windows, frameBytes);
  for (const index of out.missing()) {
    const frame = first?.frameAt(index) ?? pending?.[index];
    if (frame !== undefined) out.take(frame, index);
    note(out);
  }
  first = undefined;
  pending = undefined;
  if (!out.complete) {
    decodes = 2;
    const two = await decoder.stream({ ...decode, maxFrames: lastFrameNeeded(windows) + 1 }, (frame, index) => {
      framesRead++;
      out.take(frame, index);
      note(out);
    });
    if (!out.complete)
      throw new VideoDecodeFailure(
        `ffmpeg gave ${two.count} frame(s) on a second decode where the first counted ${frameCount}`,
        '',
      );
  }
  return { frameCount, fps: one.fps, windows, data: out.data, stats: stats() };
}
