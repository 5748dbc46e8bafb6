import { checkOptionKeys } from '../../sources/option-keys.js';
import type { ClipBatch } from '../../sources/video/video-clip.js';
import { allocUninitialised } from '../image/nda-bytes.js';
import { imageRandom, type NdaContext } from './nda-transform.js';
import { clipBatchDims, type VideoNdaResult, type VideoNdaTransform } from './video-nda-transform.js';

/** What the static transform made of a clip batch. */
export interface StaticClipResult extends VideoNdaResult {
  readonly partners: null;
  /** For clip i, `frames[i]` is the frame repeated through its negative. */
  readonly frames: Int32Array;
}

/** The static transform: its `apply` returns a {@link StaticClipResult}. */
export interface StaticClipTransform extends VideoNdaTransform<Record<string, never>> {
  apply(clips: ClipBatch, context: NdaContext): StaticClipResult;
}

/**
 * The temporal `static` NDA transform, pure: each negative is one frame of its clip, chosen
 * uniformly per clip from `(seed, 'static', epoch, key)`, repeated T times (a video with no motion:
 * the right appearance, no dynamics). A clip that is already still equals its negative. Copies
 * whole frames (`Uint8Array` or `Float32Array`, kept). Takes no options. Deterministic given the
 * context.
 *
 * @throws TypeError for any option; `apply` throws a RangeError for a malformed batch.
 */
export function staticClipTransform(options: object = {}): StaticClipTransform {
  checkOptionKeys('createVideoNdaTransform', options, [], 'the static transform');
  return {
    name: 'static',
    options: {},
    apply(clips: ClipBatch, context: NdaContext): StaticClipResult {
      const [n, T, H, W, C] = clipBatchDims('make static clips', clips, context, 1);
      const per = H * W * C;
      const src = clips.data;
      const out = allocUninitialised(src);
      const frames = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const f = imageRandom('static', context, i).int(0, T - 1);
        frames[i] = f;
        const base = i * T * per;
        const frame = src.subarray(base + f * per, base + (f + 1) * per);
        for (let t = 0; t < T; t++) out.set(frame, base + t * per);
      }
      return { clips: { data: out, shape: [n, T, H, W, C] }, partners: null, frames };
    },
  };
}
