/**
 * The video types every layer shares: a decoded clip and a batch of clips. Clips are interleaved
 * THWC pixels (frame-major, then rows, columns, channels), like {@link Image} is HWC.
 */

/** File extensions (lower case, no dot) that are read as videos. */
export const VIDEO_EXTENSIONS: readonly string[] = ['mp4', 'avi', 'webm', 'mkv', 'mov'];

/** One decoded clip: `shape` is [frames, height, width, channels]. */
export interface VideoClip {
  readonly data: Uint8Array | Float32Array;
  readonly shape: readonly [number, number, number, number];
  /** Frames per second of the frames in the clip (the target fps, else the video's own). */
  readonly fps: number;
  /** Index of the clip's first frame in the decoded frame sequence (after fps resampling). */
  readonly start: number;
  /** Step between consecutive frames of the clip, in decoded frames. */
  readonly stride: number;
  /** Frames that were repeated to fill a clip longer than the video (0 for a full clip). */
  readonly padded: number;
}

/** A stack of clips of one shape: [n, frames, height, width, channels]. */
export interface ClipBatch {
  readonly data: Uint8Array | Float32Array;
  readonly shape: readonly [number, number, number, number, number];
}

/** True when a value is a {@link VideoClip}. */
export function isVideoClip(value: unknown): value is VideoClip {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<VideoClip>;
  return (
    (v.data instanceof Uint8Array || v.data instanceof Float32Array) &&
    Array.isArray(v.shape) &&
    v.shape.length === 4 &&
    typeof v.fps === 'number'
  );
}

/** True when a file extension (`mp4`, `clip.avi`) names a video field. */
export function isVideoField(field: string): boolean {
  const last = field.slice(field.lastIndexOf('.') + 1).toLowerCase();
  return VIDEO_EXTENSIONS.includes(last);
}
