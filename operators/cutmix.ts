import type { OperatorFunction } from 'rxjs';
import type { Batch } from '../sources/sample.js';
import { cutmixTransform, type CutmixBox, type CutmixTransformOptions } from './internal/nda-cutmix.js';
import { ndaOperator, transformOptionsOf, type NdaOperatorOptions } from './internal/nda-operator.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const CUTMIX_KEYS = optionKeys<CutmixOptions>({
  beta: true,
  partners: true,
  field: true,
  seed: true,
  handler: true,
  onSeed: true,
});

export {
  cutmixTransform,
  type CutmixBox,
  type CutmixResolvedOptions,
  type CutmixResult,
  type CutmixTransform,
  type CutmixTransformOptions,
} from './internal/nda-cutmix.js';

/** Options of {@link cutmix}: the transform's ({@link CutmixTransformOptions}) and the operator's. */
export interface CutmixOptions extends CutmixTransformOptions, NdaOperatorOptions {}

/**
 * A batch of cutmix negatives: each image's partner by key, the batch's lambda, and the box of each
 * transformed field (one box per field: a field of another size gets the box scaled to it).
 */
export type CutmixBatch<B extends Batch = Batch> = B & {
  __partner__: string[];
  __cutmix__: { lambda: number; boxes: Record<string, CutmixBox> };
};

/**
 * Replaces each image of a batch by a cutmix negative: ONE lambda ~ Beta(beta, beta) and ONE box
 * per batch (CutMix's rule: sides sqrt(1 - lambda) of the image's, centre uniform, clipped), the
 * box filled from each image's partner, another image of the batch (a derangement, or with `partners: 'official'` the official draw); see
 * {@link cutmixTransform}. Adds `__partner__` (each image's partner, by key) and `__cutmix__:
 * { lambda, boxes: { [field]: { top, left, bottom, right } } }` (bottom and right exclusive);
 * `__key__`, `__url__`, the lineage and the other fields are kept; the input batch is not
 * modified. Draws from `(seed, 'cutmix', epoch, the batch's keys)`. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad beta (<= 0), field, seed or handler; at run time a
 *   `SampleError` (reason `'cutmix'`) through the handler for a batch of a single image.
 * @example
 * createLoader(source, decode(), batch(64, { partial: false }), cutmix({ beta: 1, seed: 1 }));
 * @see cutmixTransform for the pure transform (as `ndaPairs` uses it)
 */
export function cutmix<B extends Batch = Batch>(options?: CutmixOptions): OperatorFunction<B, CutmixBatch<B>>;
export function cutmix(options: CutmixOptions = {}): OperatorFunction<Batch, CutmixBatch> {
  checkOptionKeys('cutmix', options, CUTMIX_KEYS);
  const action = 'create a cutmix';
  const transform = cutmixTransform(transformOptionsOf(action, options, ['beta', 'partners']));
  return ndaOperator(action, transform, options, (out, results) => {
    const boxes: Record<string, CutmixBox> = {};
    for (const [field, r] of results) boxes[field] = r.box;
    out.__cutmix__ = { lambda: results.values().next().value?.lambda, boxes };
  }) as OperatorFunction<Batch, CutmixBatch>;
}
