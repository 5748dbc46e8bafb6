import { rangeError } from '../errors.js';
import type { ClipBatch, VideoClip } from './video-clip.js';

/**
 * Stacks clips of one shape and dtype into a {@link ClipBatch} ([n, T, H, W, C]), copying once.
 *
 * @throws RangeError for an empty list or clips whose shapes or dtypes differ (naming the first that differs).
 */
export function stackClips(clips: readonly VideoClip[]): ClipBatch {
  const first = clips[0];
  if (first === undefined) throw rangeError('stack clips', 'there must be at least one clip', 0);
  const [t, h, w, c] = first.shape;
  const size = t * h * w * c;
  const float = first.data instanceof Float32Array;
  const data = float ? new Float32Array(size * clips.length) : new Uint8Array(size * clips.length);
  clips.forEach((clip, i) => {
    const same = clip.shape.every((d, k) => d === first.shape[k]) && clip.data instanceof Float32Array === float;
    if (!same)
      throw rangeError(
        'stack clips',
        `every clip must have the shape and dtype of the first (${JSON.stringify(first.shape)}, ${float ? 'float32' : 'uint8'})`,
        `clip ${i}: ${JSON.stringify(clip.shape)}, ${clip.data instanceof Float32Array ? 'float32' : 'uint8'}`,
      );
    data.set(clip.data, i * size);
  });
  return { data, shape: [clips.length, t, h, w, c] };
}
