import type { Random } from '../random.js';

/** How clips are placed in a video's decoded frames. */
export type ClipMode = 'random' | 'uniform' | 'multi';

/** The clip geometry in time, shared by the planner and its callers. */
export interface ClipSampling {
  /** Frames per clip (T). */
  readonly frames: number;
  /** Step between consecutive frames of a clip, in decoded frames. */
  readonly stride: number;
  /** `random`: one clip at a random start; `uniform`: `clips` evenly spaced; `multi`: `clips` random starts, distinct when the video allows. */
  readonly mode: ClipMode;
  /** Clips per video for `uniform` and `multi` (`random` always makes 1). */
  readonly clips: number;
}

/** Where one clip lies in the decoded frames. */
export interface ClipWindow {
  /** Index of the clip's first frame. */
  readonly start: number;
  /** The decoded frame index of each of the clip's frames (the last frame repeated when the video is short). */
  readonly indices: readonly number[];
  /** How many of `indices` repeat the last frame because the video ended first. */
  readonly padded: number;
}

/** Frames a clip spans in the decoded sequence: `(frames - 1) * stride + 1`. */
export function clipSpan(sampling: Pick<ClipSampling, 'frames' | 'stride'>): number {
  return (sampling.frames - 1) * sampling.stride + 1;
}

function window(start: number, n: number, sampling: ClipSampling): ClipWindow {
  const indices: number[] = [];
  let padded = 0;
  for (let j = 0; j < sampling.frames; j++) {
    const i = start + j * sampling.stride;
    if (i > n - 1) padded++;
    indices.push(Math.min(i, n - 1));
  }
  return { start, indices, padded };
}

/**
 * Places the clips of one video of `n` decoded frames (n >= 1). Pure: the same `n`, sampling and
 * generator state give the same windows, so a caller can plan from an estimated frame count, stop
 * decoding after the last frame it needs, and re-plan from the true count with a fresh generator of
 * the same seed when the video turned out shorter.
 * - `random`: one clip, start uniform in [0, n - span].
 * - `uniform`: `clips` starts evenly spaced from 0 to n - span (one clip: the centre).
 * - `multi`: `clips` random starts, drawn without replacement when there are at least `clips`
 *   possible starts, else with replacement.
 * A video shorter than one span (n < span) gives clips starting at 0 that repeat the last frame
 * (`padded` > 0); whether to keep them is the caller's choice.
 */
export function planClips(n: number, sampling: ClipSampling, random: Random): ClipWindow[] {
  const span = clipSpan(sampling);
  const room = Math.max(0, n - span); // last possible start
  const count = sampling.mode === 'random' ? 1 : sampling.clips;
  let starts: number[];
  switch (sampling.mode) {
    case 'random':
      starts = [random.int(0, room)];
      break;
    case 'uniform':
      starts =
        count === 1
          ? [Math.floor(room / 2)]
          : Array.from({ length: count }, (_, i) => Math.round((i * room) / (count - 1)));
      break;
    case 'multi':
      if (room + 1 >= count) {
        // partial Fisher-Yates over [0, room] with a sparse swap map (room may be large)
        const swapped = new Map<number, number>();
        starts = [];
        for (let i = 0; i < count; i++) {
          const j = random.int(i, room);
          const atJ = swapped.get(j) ?? j;
          swapped.set(j, swapped.get(i) ?? i);
          starts.push(atJ);
        }
      } else {
        starts = Array.from({ length: count }, () => random.int(0, room));
      }
      break;
  }
  return starts.map((start) => window(start, n, sampling));
}

/** The last decoded frame index any of the windows reads. */
export function lastFrameNeeded(windows: readonly ClipWindow[]): number {
  let last = 0;
  for (const w of windows) for (const i of w.indices) if (i > last) last = i;
  return last;
}
