import { checkOptionKeys } from '../../sources/option-keys.js';
import type { ClipBatch } from '../../sources/video/video-clip.js';
import { allocUninitialised } from '../image/nda-bytes.js';
import { imageRandom, type NdaContext } from './nda-transform.js';
import { clipBatchDims, type VideoNdaResult, type VideoNdaTransform } from './video-nda-transform.js';

/** What the frame-shuffle transform made of a clip batch. */
export interface FrameShuffleResult extends VideoNdaResult {
  readonly partners: null;
  /** For clip i and output frame t, `orders[i * T + t]` is the input frame placed there (never the identity for a clip). */
  readonly orders: Int32Array;
}

/** The frame-shuffle transform: its `apply` returns a {@link FrameShuffleResult}. */
export interface FrameShuffleTransform extends VideoNdaTransform<Record<string, never>> {
  apply(clips: ClipBatch, context: NdaContext): FrameShuffleResult;
}

/**
 * The temporal `shuffle` NDA transform, pure: each clip's frames in a random order, a uniformly
 * random permutation of its T frames other than the identity (drawn per clip from `(seed,
 * 'shuffle', epoch, key)`; Fisher-Yates, redrawn when it is the identity), so the order is always
 * wrong (the paper's video NDA: "what a video is not"). A clip whose frames are all equal (a still
 * shot) still looks the same after it. Copies whole frames (`Uint8Array` or `Float32Array`, kept).
 * Takes no options. Deterministic given the context.
 *
 * @throws TypeError for any option; `apply` throws a RangeError for clips of fewer than 2 frames
 *   (one frame has no other order).
 */
export function frameShuffleTransform(options: object = {}): FrameShuffleTransform {
  checkOptionKeys('createVideoNdaTransform', options, [], 'the shuffle transform');
  return {
    name: 'shuffle',
    options: {},
    apply(clips: ClipBatch, context: NdaContext): FrameShuffleResult {
      const [n, T, H, W, C] = clipBatchDims('shuffle the frames of clips', clips, context, 2);
      const per = H * W * C;
      const src = clips.data;
      const out = allocUninitialised(src);
      const orders = new Int32Array(n * T);
      const frames = Array.from({ length: T }, (_, t) => t);
      for (let i = 0; i < n; i++) {
        const rng = imageRandom('shuffle', context, i);
        let order: number[];
        do order = rng.shuffle([...frames]);
        while (order.every((f, t) => f === t));
        const base = i * T * per;
        for (let t = 0; t < T; t++) {
          const from = order[t] as number;
          orders[i * T + t] = from;
          out.set(src.subarray(base + from * per, base + (from + 1) * per), base + t * per);
        }
      }
      return { clips: { data: out, shape: [n, T, H, W, C] }, partners: null, orders };
    },
  };
}
