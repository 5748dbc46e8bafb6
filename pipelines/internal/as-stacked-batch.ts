import type { ImageBatch } from '../../sources/sample.js';
import { stackClips } from '../../sources/video/stack-clips.js';
import { isVideoClip, type ClipBatch } from '../../sources/video/video-clip.js';

/**
 * A batch field as one stacked array: an image batch (`batch` stacks images itself) as it is, a list
 * of clips (`batch` collects clips into a list) through `stackClips`.
 *
 * @throws Error naming the pipeline and field for anything else.
 */
export function asStackedBatch(value: unknown, field: string, pipeline: string): ImageBatch | ClipBatch {
  if (Array.isArray(value) && value.length > 0 && value.every(isVideoClip)) return stackClips(value);
  const v = value as Partial<ImageBatch> | undefined;
  if (
    v !== undefined &&
    (v.data instanceof Uint8Array || v.data instanceof Float32Array) &&
    Array.isArray(v.shape) &&
    v.shape.length === 4
  )
    return v as ImageBatch;
  throw new Error(
    `Cannot run ${pipeline} as batch field ${JSON.stringify(field)} must be a stacked image batch or a list of clips (check the pipeline's view stages)`,
  );
}
