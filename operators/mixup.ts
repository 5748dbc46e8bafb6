import type { OperatorFunction } from 'rxjs';
import type { Batch } from '../sources/sample.js';
import { mixupTransform, type MixupTransformOptions } from './internal/nda-mixup.js';
import { ndaOperator, transformOptionsOf, type NdaOperatorOptions } from './internal/nda-operator.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const MIXUP_KEYS = optionKeys<MixupOptions>({
  alpha: true,
  lambda: true,
  partners: true,
  field: true,
  seed: true,
  handler: true,
  onSeed: true,
});

export {
  mixupTransform,
  type MixupResolvedOptions,
  type MixupResult,
  type MixupTransform,
  type MixupTransformOptions,
} from './internal/nda-mixup.js';

/** Options of {@link mixup}: the transform's ({@link MixupTransformOptions}) and the operator's. */
export interface MixupOptions extends MixupTransformOptions, NdaOperatorOptions {}

/** A batch of mixup negatives: each image's partner by key, and the batch's lambda. */
export type MixupBatch<B extends Batch = Batch> = B & { __partner__: string[]; __mixup__: { lambda: number } };

/**
 * Replaces each image of a batch by a mixup negative `lambda * x + (1 - lambda) * partner`, with
 * ONE lambda ~ Beta(alpha, alpha) per batch (alpha = 25 as in the paper) and the partner another
 * image of the batch (a derangement, or with `partners: 'official'` the official draw); `lambda` fixes lambda. 8-bit pixels are rounded to the nearest integer (halves up),
 * float32 pixels are not rounded; lambda is a multiple of 2^-15 (see {@link mixupTransform}).
 * Adds `__partner__` (each image's partner, by key) and `__mixup__: { lambda }`; `__key__`,
 * `__url__`, the lineage and the other fields are kept; the input batch is not modified. Draws
 * from `(seed, 'mixup', epoch, the batch's keys)`. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad alpha (<= 0), field, seed or handler; at run time a
 *   `SampleError` (reason `'mixup'`) through the handler for a batch of a single image.
 * @example
 * createLoader(source, decode(), batch(64, { partial: false }), mixup({ alpha: 25, seed: 1 }));
 * @see mixupTransform for the pure transform (as `ndaPairs` uses it)
 */
export function mixup<B extends Batch = Batch>(options?: MixupOptions): OperatorFunction<B, MixupBatch<B>>;
export function mixup(options: MixupOptions = {}): OperatorFunction<Batch, MixupBatch> {
  checkOptionKeys('mixup', options, MIXUP_KEYS);
  const action = 'create a mixup';
  const transform = mixupTransform(transformOptionsOf(action, options, ['alpha', 'lambda', 'partners']));
  return ndaOperator(action, transform, options, (out, results) => {
    out.__mixup__ = { lambda: results.values().next().value?.lambda };
  }) as OperatorFunction<Batch, MixupBatch>;
}
