import type { ImageBatch } from '../../sources/sample.js';
import type { ClipBatch } from '../../sources/video/video-clip.js';
import { allocUninitialised } from '../image/nda-bytes.js';
import type { NdaContext, NdaResult, NdaTransform } from './nda-transform.js';
import { clipBatchDims, type VideoNdaResult, type VideoNdaTransform } from './video-nda-transform.js';

/** What a spatial transform made of a clip batch, frame by frame. */
export interface FramewiseResult extends VideoNdaResult {
  /**
   * What the image transform reported for the first frame besides the images (jigsaw's `tiles`,
   * stitch's `direction`, mixup's `lambda`, cutout's `squares`, cutmix's `box`, shift's `offset`):
   * the same for every frame, as every frame is transformed with the same context.
   */
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * A spatial NDA transform applied to every frame of each clip CONSISTENTLY: for each frame index
 * t, frame t of all the clips forms an image batch `[n, H, W, C]` that goes through the image
 * transform with the SAME context (seed, epoch, the clips' keys). The image transforms draw only
 * from `(seed, name, epoch, key)` per image and `(seed, name, epoch, all keys)` per batch, never
 * from the pixels or the call, so every frame of a clip gets the same jigsaw permutation, cutout
 * square (filled with that frame's own mean), stitch direction, mixup lambda, cutmix box, shift,
 * and the same partner. `noise`, seeded per image the same way, gives the SAME noise in every frame
 * (a still noise clip). Frame t of the result is exactly `transform.apply(frame t's batch,
 * context).images`. Copies each frame batch once in and once out; `Uint8Array` or `Float32Array`,
 * kept. Name and options are the image transform's.
 *
 * @throws `apply` throws what the image transform throws for one frame batch (e.g. jigsaw's
 *   RangeError when k does not divide the frame size), and a RangeError for a malformed batch.
 */
export function framewiseTransform<Options>(image: NdaTransform<Options>): VideoNdaTransform<Options> {
  return {
    name: image.name,
    options: image.options,
    apply(clips: ClipBatch, context: NdaContext): FramewiseResult {
      const [n, T, H, W, C] = clipBatchDims(`make ${image.name} negatives of clips`, clips, context, 1);
      const per = H * W * C;
      const clipLen = T * per;
      const src = clips.data;
      const out = allocUninitialised(src);
      let first: NdaResult | null = null;
      for (let t = 0; t < T; t++) {
        const frames = src instanceof Float32Array ? new Float32Array(n * per) : new Uint8Array(n * per);
        for (let i = 0; i < n; i++)
          frames.set(src.subarray(i * clipLen + t * per, i * clipLen + (t + 1) * per), i * per);
        const batch: ImageBatch = { data: frames, shape: [n, H, W, C] };
        const result = image.apply(batch, context);
        const made = result.images.data;
        for (let i = 0; i < n; i++) out.set(made.subarray(i * per, (i + 1) * per), i * clipLen + t * per);
        if (first === null) first = result;
        else if (!samePartners(first.partners, result.partners))
          throw new Error(
            `Cannot apply ${image.name} to every frame of clips alike as its partners changed from frame 0 to frame ${t}`,
          );
      }
      const { images: _images, partners, ...details } = first as NdaResult & Record<string, unknown>;
      return { clips: { data: out, shape: [n, T, H, W, C] }, partners: partners, details };
    },
  };
}

function samePartners(a: Int32Array | null, b: Int32Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
