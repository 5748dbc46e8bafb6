import { checkOptionKeys } from '../../sources/option-keys.js';
import type { ClipBatch } from '../../sources/video/video-clip.js';
import { allocUninitialised } from '../image/nda-bytes.js';
import type { NdaContext } from './nda-transform.js';
import { clipBatchDims, type VideoNdaResult, type VideoNdaTransform } from './video-nda-transform.js';

/**
 * The temporal `reverse` NDA transform, pure: each clip played backwards (frame t of the negative
 * is frame T-1-t of the clip). Nothing is drawn, so the context only names the clips. A clip that
 * reads the same both ways (a palindrome, e.g. a still shot or one frame) equals its own negative:
 * that is in the data, not a defect; use `shuffle` for negatives that always differ in order.
 * Copies whole frames (`Uint8Array` or `Float32Array`, kept). Takes no options.
 *
 * @throws TypeError for any option; `apply` throws a RangeError for a malformed batch.
 */
export function frameReverseTransform(options: object = {}): VideoNdaTransform<Record<string, never>> {
  checkOptionKeys('createVideoNdaTransform', options, [], 'the reverse transform');
  return {
    name: 'reverse',
    options: {},
    apply(clips: ClipBatch, context: NdaContext): VideoNdaResult {
      const [n, T, H, W, C] = clipBatchDims('reverse clips', clips, context, 1);
      const per = H * W * C;
      const src = clips.data;
      const out = allocUninitialised(src);
      for (let i = 0; i < n; i++) {
        const base = i * T * per;
        for (let t = 0; t < T; t++)
          out.set(src.subarray(base + (T - 1 - t) * per, base + (T - t) * per), base + t * per);
      }
      return { clips: { data: out, shape: [n, T, H, W, C] }, partners: null };
    },
  };
}
