import type { ImageBatch } from '../../sources/sample.js';
import { outputFor } from '../image/nda-bytes.js';
import { sampleBeta } from './nda-beta.js';
import {
  batchDims,
  optionsRecord,
  checkPartnerDraw,
  checkPositive,
  checkProbability,
  drawPartners,
} from './nda-checks.js';
import { mixUint8 } from '../image/nda-mix-kernel.js';
import { batchRandom, type NdaContext, type NdaResult, type NdaTransform, type PartnerDraw } from './nda-transform.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const MIXUP_TRANSFORM_KEYS = optionKeys<MixupTransformOptions>({ alpha: true, lambda: true, partners: true });

/** Options of the mixup transform (plain JSON). */
export interface MixupTransformOptions {
  /** Parameter of the symmetric Beta(alpha, alpha) that lambda is drawn from (> 0); the paper uses 25. @default 25 */
  readonly alpha?: number;
  /**
   * A fixed lambda in [0, 1] for every batch instead of the Beta draw (the official OOD evaluation
   * scores mixup negatives at lambda 0.5), or null to draw it.
   * @default null (drawn from Beta(alpha, alpha))
   */
  readonly lambda?: number | null;
  /**
   * How partners are drawn: `'derangement'` (no image is its own partner) or `'official'`, the paper's
   * official code (a random non-identity permutation of the batch: an image may be its own partner).
   * @default 'derangement'
   */
  readonly partners?: PartnerDraw;
}

/** The resolved options. */
export interface MixupResolvedOptions {
  readonly alpha: number;
  readonly lambda: number | null;
  readonly partners: PartnerDraw;
}

/** What {@link mixupTransform} made of a batch. */
export interface MixupResult extends NdaResult {
  readonly partners: Int32Array;
  /** The weight of each image (its partner's is 1 - lambda): a multiple of 2^-15 in [0, 1]. */
  readonly lambda: number;
}

/** The mixup transform: its {@link NdaTransform.apply} returns a {@link MixupResult}. */
export interface MixupTransform extends NdaTransform<MixupResolvedOptions> {
  apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): MixupResult;
}

/** Lambda's resolution: it is applied as an integer weight L / 2^15 (see mixUint8). */
const ONE = 32768;

/**
 * The mixup NDA transform, pure: per batch, ONE lambda ~ Beta(alpha, alpha) and a partner for each
 * image (a derangement of the batch, or the official draw: `partners`); each negative is `lambda * x + (1 - lambda) * partner`.
 * Lambda is drawn in double precision and rounded to a multiple of 2^-15 (at most 1.5e-5 away; the
 * value recorded in the result is the one applied), so that 8-bit pixels mix with exact integer
 * arithmetic: a `Uint8Array` negative is `round_half_up(lambda * x + (1 - lambda) * partner)`,
 * computed 16 values at a time with WebAssembly SIMD (the same bytes in plain JavaScript where
 * that is missing); a `Float32Array` negative is the same sum in double precision, stored as
 * float32 (no rounding to integers). Draws (partners, then lambda) come from `(seed, 'mixup',
 * epoch, all keys)`. Deterministic given the context.
 *
 * @throws RangeError/TypeError for a bad alpha; `apply` throws a RangeError for a batch of one image.
 * @see mixup
 */
export function mixupTransform(options: MixupTransformOptions = {}): MixupTransform {
  checkOptionKeys('mixupTransform', options, MIXUP_TRANSFORM_KEYS);
  const action = 'create a mixup transform';
  const o = optionsRecord(action, options);
  const alpha = checkPositive(action, 'alpha', o.alpha ?? 25);
  const fixed = o.lambda === undefined || o.lambda === null ? null : checkProbability(action, 'lambda', o.lambda);
  const partnerDraw = checkPartnerDraw(action, o.partners);
  return {
    name: 'mixup',
    options: { alpha, lambda: fixed, partners: partnerDraw },
    apply(images: ImageBatch, context: NdaContext, into?: ImageBatch['data']): MixupResult {
      const [n, H, W, C] = batchDims('make mixup negatives', images);
      const rng = batchRandom('mixup', context);
      const partners = drawPartners('make mixup negatives of a batch', n, rng, partnerDraw);
      const weight = Math.round((fixed ?? sampleBeta(rng, alpha, alpha)) * ONE);
      const lambda = weight / ONE;
      const per = H * W * C;
      const data = images.data;
      const out = outputFor('make mixup negatives', data, into);
      if (data instanceof Float32Array) {
        mixFloat32(out as Float32Array, data, partners, per, lambda);
      } else if (weight === ONE) {
        out.set(data); // lambda = 1: the images themselves (the 15-bit kernel weight stops at 32767)
      } else {
        for (let i = 0; i < n; i++)
          mixUint8(out as Uint8Array, i * per, data, i * per, (partners[i] as number) * per, per, weight);
      }
      return { images: { data: out, shape: [n, H, W, C] }, partners, lambda };
    },
  };
}

function mixFloat32(out: Float32Array, data: Float32Array, partners: Int32Array, per: number, lambda: number): void {
  const mu = 1 - lambda;
  for (let i = 0; i < partners.length; i++) {
    const a = i * per;
    const b = (partners[i] as number) * per;
    for (let j = 0; j < per; j++) out[a + j] = lambda * (data[a + j] as number) + mu * (data[b + j] as number);
  }
}
