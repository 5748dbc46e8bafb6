import { rangeError, typeError } from '../../sources/errors.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';
import type { ClipBatch } from '../../sources/video/video-clip.js';
import { allocUninitialised } from '../image/nda-bytes.js';
import { checkChoice, optionsRecord, drawPartners } from './nda-checks.js';
import { batchRandom, imageRandom, type NdaContext } from './nda-transform.js';
import { clipBatchDims, type VideoNdaResult, type VideoNdaTransform } from './video-nda-transform.js';

const SPLICE_KEYS = optionKeys<SpliceTransformOptions>({ fraction: true, cut: true });

/** Options of the splice transform (plain JSON). */
export interface SpliceTransformOptions {
  /**
   * Bounds of the share of a clip's frames kept from the clip itself, `[low, high]` with
   * `0 <= low <= high <= 1`; the share is drawn uniformly in it and turned into a cut after
   * `round(share * T)` frames, clamped to [1, T - 1] so both parts are present.
   * @default [0.25, 0.75]
   */
  readonly fraction?: readonly [number, number];
  /** `'clip'`: one cut per clip, from `(seed, 'splice', epoch, key)`; `'batch'`: one cut for the whole batch. @default 'clip' */
  readonly cut?: 'clip' | 'batch';
}

/** The resolved options. */
export interface SpliceResolvedOptions {
  readonly fraction: readonly [number, number];
  readonly cut: 'clip' | 'batch';
}

/** What the splice transform made of a clip batch. */
export interface SpliceResult extends VideoNdaResult {
  readonly partners: Int32Array;
  /** For clip i, `heads[i]` frames come from the clip itself, the other `T - heads[i]` from its partner. */
  readonly heads: Int32Array;
}

/** The splice transform: its `apply` returns a {@link SpliceResult}. */
export interface SpliceTransform extends VideoNdaTransform<SpliceResolvedOptions> {
  apply(clips: ClipBatch, context: NdaContext): SpliceResult;
}

/**
 * The temporal `splice` NDA transform, pure (the video form of `stitch`, along time): per batch, a
 * partner for each clip (a derangement of the batch, drawn first from `(seed, 'splice', epoch, all
 * keys)`); each negative is the clip's first `heads[i]` frames followed by its partner's frames
 * from `heads[i]` on, every frame at its own time (a cut in the middle of a shot: two actions
 * joined). The cut is drawn per clip (`cut: 'clip'`, from `(seed, 'splice', epoch, key)`) or once
 * for the batch after the partners (`cut: 'batch'`). Copies whole frames (`Uint8Array` or
 * `Float32Array`, kept). Deterministic given the context.
 *
 * @throws RangeError/TypeError for a bad fraction or cut; `apply` throws a RangeError for a batch of
 *   one clip or clips of fewer than 2 frames.
 */
export function spliceTransform(options: SpliceTransformOptions = {}): SpliceTransform {
  checkOptionKeys('createVideoNdaTransform', options, SPLICE_KEYS, 'the splice transform');
  const action = 'create a splice transform';
  const o = optionsRecord(action, options);
  const fraction = resolveFraction(action, o.fraction ?? [0.25, 0.75]);
  const cut = checkChoice(action, 'cut', o.cut ?? 'clip', ['clip', 'batch'] as const);
  return {
    name: 'splice',
    options: { fraction, cut },
    apply(clips: ClipBatch, context: NdaContext): SpliceResult {
      const [n, T, H, W, C] = clipBatchDims('splice clips', clips, context, 2);
      const rng = batchRandom('splice', context);
      const partners = drawPartners('splice the clips of a batch', n, rng);
      const headOf = (u: number): number =>
        Math.min(T - 1, Math.max(1, Math.round((fraction[0] + (fraction[1] - fraction[0]) * u) * T)));
      const batchHead = cut === 'batch' ? headOf(rng.float()) : 0;
      const per = H * W * C;
      const clipLen = T * per;
      const src = clips.data;
      const out = allocUninitialised(src);
      const heads = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const head = cut === 'batch' ? batchHead : headOf(imageRandom('splice', context, i).float());
        heads[i] = head;
        const own = i * clipLen;
        const other = (partners[i] as number) * clipLen;
        out.set(src.subarray(own, own + head * per), own);
        out.set(src.subarray(other + head * per, other + clipLen), own + head * per);
      }
      return { clips: { data: out, shape: [n, T, H, W, C] }, partners, heads };
    },
  };
}

function resolveFraction(action: string, value: unknown): readonly [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'number' || typeof value[1] !== 'number')
    throw typeError(action, 'fraction must be a [low, high] pair of numbers', value);
  const [low, high] = value as [number, number];
  if (!(low >= 0 && high <= 1 && low <= high))
    throw rangeError(action, 'fraction must be [low, high] with 0 <= low <= high <= 1', value);
  return [low, high];
}
