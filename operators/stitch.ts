import type { OperatorFunction } from 'rxjs';
import type { Batch } from '../sources/sample.js';
import { ndaOperator, transformOptionsOf, type NdaOperatorOptions } from './internal/nda-operator.js';
import { stitchTransform, type StitchDirection, type StitchTransformOptions } from './internal/nda-stitch.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const STITCH_KEYS = optionKeys<StitchOptions>({
  p: true,
  partners: true,
  field: true,
  seed: true,
  handler: true,
  onSeed: true,
});

export {
  stitchTransform,
  type StitchDirection,
  type StitchResolvedOptions,
  type StitchResult,
  type StitchTransform,
  type StitchTransformOptions,
} from './internal/nda-stitch.js';

/** Options of {@link stitch}: the transform's ({@link StitchTransformOptions}) and the operator's. */
export interface StitchOptions extends StitchTransformOptions, NdaOperatorOptions {}

/** A batch of stitch negatives: each image's partner by key, and the batch's direction. */
export type StitchBatch<B extends Batch = Batch> = B & {
  __partner__: string[];
  __stitch__: { direction: StitchDirection };
};

/**
 * Replaces each image of a batch by a stitch negative: per batch, top-bottom or left-right (p =
 * 1/2); the image's top (left) half, then the bottom (right) half of its partner, another image of
 * the batch (a derangement, or with `partners: 'official'` the official draw, see {@link stitchTransform}); for an odd size the partner gives the larger half (see
 * {@link stitchTransform}). Adds `__partner__` (each image's partner, by key) and `__stitch__:
 * { direction }`; `__key__`, `__url__`, the lineage and the other fields are kept; the input batch
 * is not modified. Draws from `(seed, 'stitch', epoch, the batch's keys)`. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad p, field, seed or handler; at run time a `SampleError`
 *   (reason `'stitch'`) through the handler for a batch of a single image.
 * @example
 * createLoader(source, decode(), batch(64, { partial: false }), stitch({ seed: 1 }));
 * @see stitchTransform for the pure transform (as `ndaPairs` uses it)
 */
export function stitch<B extends Batch = Batch>(options?: StitchOptions): OperatorFunction<B, StitchBatch<B>>;
export function stitch(options: StitchOptions = {}): OperatorFunction<Batch, StitchBatch> {
  checkOptionKeys('stitch', options, STITCH_KEYS);
  const action = 'create a stitch';
  const transform = stitchTransform(transformOptionsOf(action, options, ['p', 'partners']));
  return ndaOperator(action, transform, options, (out, results) => {
    out.__stitch__ = { direction: results.values().next().value?.direction };
  }) as OperatorFunction<Batch, StitchBatch>;
}
