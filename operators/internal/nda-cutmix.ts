import type { ImageBatch } from '../../sources/sample.js';
import { byteViews, copyBlock, copyInto } from '../image/nda-bytes.js';
import { sampleBeta } from './nda-beta.js';
import { batchDims, optionsRecord, checkPartnerDraw, checkPositive, drawPartners } from './nda-checks.js';
import { batchRandom, type NdaContext, type NdaResult, type NdaTransform, type PartnerDraw } from './nda-transform.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const CUTMIX_TRANSFORM_KEYS = optionKeys<CutmixTransformOptions>({ beta: true, partners: true });

/** Options of the cutmix transform (plain JSON). */
export interface CutmixTransformOptions {
  /** Parameter of the symmetric Beta(beta, beta) that lambda is drawn from (> 0). @default 1 */
  readonly beta?: number;
  /**
   * How partners are drawn: `'derangement'` (no image is its own partner) or `'official'`, the paper's
   * official code (a random non-identity permutation of the batch: an image may be its own partner).
   * @default 'derangement'
   */
  readonly partners?: PartnerDraw;
}

/** The resolved options. */
export interface CutmixResolvedOptions {
  readonly beta: number;
  readonly partners: PartnerDraw;
}

/** A box of pixels: rows [top, bottom) and columns [left, right) (empty when either is). */
export interface CutmixBox {
  readonly top: number;
  readonly left: number;
  readonly bottom: number;
  readonly right: number;
}

/** What {@link cutmixTransform} made of a batch. */
export interface CutmixResult extends NdaResult {
  readonly partners: Int32Array;
  /**
   * The lambda drawn from Beta(beta, beta), which sized the box. The share of each negative that
   * is still its own image is `1 - area(box) / (h * w)` (CutMix's adjusted lambda), not exactly this.
   */
  readonly lambda: number;
  /** The one box of the batch, filled from each image's partner. */
  readonly box: CutmixBox;
}

/** The cutmix transform: its {@link NdaTransform.apply} returns a {@link CutmixResult}. */
export interface CutmixTransform extends NdaTransform<CutmixResolvedOptions> {
  apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): CutmixResult;
}

/**
 * The cutmix NDA transform, pure (CutMix's `rand_bbox`, as in the official code): per batch, ONE
 * lambda ~ Beta(beta, beta), a partner for each image (a derangement of the batch, or the official
 * draw: `partners`) and ONE box:
 * sides floor(H sqrt(1 - lambda)) and floor(W sqrt(1 - lambda)), centre (cy, cx) uniform over the
 * pixels, corners `cy -+ floor(side / 2)` clipped to the image. Each negative is its image with
 * the box copied from its partner (same place). Draws (partners, lambda, cy, cx) come from
 * `(seed, 'cutmix', epoch, all keys)`. Copies rows of the HWC bytes (`Uint8Array` or
 * `Float32Array`, kept). Deterministic given the context.
 *
 * @throws RangeError/TypeError for a bad beta; `apply` throws a RangeError for a batch of one image.
 * @see cutmix
 */
export function cutmixTransform(options: CutmixTransformOptions = {}): CutmixTransform {
  checkOptionKeys('cutmixTransform', options, CUTMIX_TRANSFORM_KEYS);
  const action = 'create a cutmix transform';
  const o = optionsRecord(action, options);
  const beta = checkPositive(action, 'beta', o.beta ?? 1);
  const partnerDraw = checkPartnerDraw(action, o.partners);
  return {
    name: 'cutmix',
    options: { beta, partners: partnerDraw },
    apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): CutmixResult {
      const [n, H, W, C] = batchDims('make cutmix negatives', images);
      const rng = batchRandom('cutmix', context);
      const partners = drawPartners('make cutmix negatives of a batch', n, rng, partnerDraw);
      const lambda = sampleBeta(rng, beta, beta);
      const ratio = Math.sqrt(1 - lambda);
      const halfH = Math.floor(Math.floor(H * ratio) / 2);
      const halfW = Math.floor(Math.floor(W * ratio) / 2);
      const cy = H > 0 ? rng.int(0, H - 1) : 0;
      const cx = W > 0 ? rng.int(0, W - 1) : 0;
      const box: CutmixBox = {
        top: clip(cy - halfH, H),
        left: clip(cx - halfW, W),
        bottom: clip(cy + halfH, H),
        right: clip(cx + halfW, W),
      };
      const out = copyInto('make cutmix negatives', images.data, into);
      const src = byteViews(images.data);
      const dst = byteViews(out);
      const bpp = C * images.data.BYTES_PER_ELEMENT;
      const stride = W * bpp;
      const per = H * stride;
      const at = box.top * stride + box.left * bpp;
      const rowBytes = (box.right - box.left) * bpp;
      for (let i = 0; i < n; i++)
        copyBlock(
          dst,
          i * per + at,
          src,
          (partners[i] as number) * per + at,
          box.bottom - box.top,
          rowBytes,
          stride,
          stride,
        );
      return { images: { data: out, shape: [n, H, W, C] }, partners, lambda, box };
    },
  };
}

function clip(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}
