import type { ImageBatch } from '../../sources/sample.js';
import { outputFor, byteViews, copyBlock } from '../image/nda-bytes.js';
import { batchDims, optionsRecord, checkPartnerDraw, checkProbability, drawPartners } from './nda-checks.js';
import { batchRandom, type NdaContext, type NdaResult, type NdaTransform, type PartnerDraw } from './nda-transform.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const STITCH_TRANSFORM_KEYS = optionKeys<StitchTransformOptions>({ p: true, partners: true });

/** Options of the stitch transform (plain JSON). */
export interface StitchTransformOptions {
  /**
   * Probability that a batch is stitched `'top-bottom'` (else `'left-right'`); the official code
   * flips a fair coin per batch.
   * @default 0.5
   */
  readonly p?: number;
  /**
   * How partners are drawn: `'derangement'` (no image is its own partner) or `'official'`, the paper's
   * official code (a random non-identity permutation of the batch: an image may be its own partner).
   * @default 'derangement'
   */
  readonly partners?: PartnerDraw;
}

/** The resolved options. */
export interface StitchResolvedOptions {
  readonly p: number;
  readonly partners: PartnerDraw;
}

/**
 * How a batch was stitched: `'top-bottom'`, the image's top rows above its partner's bottom rows
 * (a horizontal seam); `'left-right'`, the image's left columns beside its partner's right columns.
 */
export type StitchDirection = 'top-bottom' | 'left-right';

/** What {@link stitchTransform} made of a batch. */
export interface StitchResult extends NdaResult {
  readonly partners: Int32Array;
  readonly direction: StitchDirection;
}

/** The stitch transform: its {@link NdaTransform.apply} returns a {@link StitchResult}. */
export interface StitchTransform extends NdaTransform<StitchResolvedOptions> {
  apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): StitchResult;
}

/**
 * The stitch NDA transform, pure: per batch, one direction (top-bottom with probability `p`) and
 * a partner for each image (a derangement of the batch, or the official draw: `partners`); each negative is the image's first half
 * (top, or left) followed by its partner's second half, every pixel at its own place. The image
 * keeps floor(S/2) rows (or columns) and the partner gives the other ceil(S/2): the official code
 * splits at int(S/2) too (and, for odd S, drops the last row; here the partner's half is the
 * larger one instead). Draws (partners, then direction) come from `(seed, 'stitch', epoch, all
 * keys)`. Copies rows of the HWC bytes (`Uint8Array` or `Float32Array`, kept). Deterministic given
 * the context.
 *
 * @throws RangeError/TypeError for a bad p; `apply` throws a RangeError for a batch of one image.
 * @see stitch
 */
export function stitchTransform(options: StitchTransformOptions = {}): StitchTransform {
  checkOptionKeys('stitchTransform', options, STITCH_TRANSFORM_KEYS);
  const action = 'create a stitch transform';
  const o = optionsRecord(action, options);
  const p = checkProbability(action, 'p', o.p ?? 0.5);
  const partnerDraw = checkPartnerDraw(action, o.partners);
  return {
    name: 'stitch',
    options: { p, partners: partnerDraw },
    apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): StitchResult {
      const [n, H, W, C] = batchDims('make stitch negatives', images);
      const rng = batchRandom('stitch', context);
      const partners = drawPartners('make stitch negatives of a batch', n, rng, partnerDraw);
      const direction: StitchDirection = rng.float() < p ? 'top-bottom' : 'left-right';
      const out = outputFor('make stitch negatives', images.data, into);
      const src = byteViews(images.data);
      const dst = byteViews(out);
      const bpp = C * images.data.BYTES_PER_ELEMENT;
      const stride = W * bpp;
      const per = H * stride;
      for (let i = 0; i < n; i++) {
        const own = i * per;
        const other = (partners[i] as number) * per;
        if (direction === 'top-bottom') {
          const head = Math.floor(H / 2) * stride;
          copyBlock(dst, own, src, own, 1, head, per, per);
          copyBlock(dst, own + head, src, other + head, 1, per - head, per, per);
        } else {
          const left = Math.floor(W / 2) * bpp;
          copyBlock(dst, own, src, own, H, left, stride, stride);
          copyBlock(dst, own + left, src, other + left, H, stride - left, stride, stride);
        }
      }
      return { images: { data: out, shape: [n, H, W, C] }, partners, direction };
    },
  };
}
