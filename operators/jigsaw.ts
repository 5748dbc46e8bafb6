import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { Batch } from '../sources/sample.js';
import { jigsawTransform, type JigsawTransformOptions } from './internal/nda-jigsaw.js';
import { ndaOperator, transformOptionsOf, type NdaOperatorOptions } from './internal/nda-operator.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const JIGSAW_KEYS = optionKeys<JigsawOptions>({
  k: true,
  mode: true,
  field: true,
  seed: true,
  handler: true,
  onSeed: true,
});

export {
  jigsawTransform,
  type JigsawResolvedOptions,
  type JigsawResult,
  type JigsawTransform,
  type JigsawTransformOptions,
} from './internal/nda-jigsaw.js';

/** Options of {@link jigsaw}: the transform's ({@link JigsawTransformOptions}) and the operator's. */
export interface JigsawOptions extends JigsawTransformOptions, NdaOperatorOptions {}

/**
 * Replaces each image of a batch by a jigsaw negative: the image cut into a k x k grid whose tiles
 * are put back in another order (a per-image non-identity permutation; see
 * {@link JigsawTransformOptions.mode} for the official code's transposed layout, under which 1
 * negative in 23 equals its image at k=2, and the `'strict'` mode, under which none does).
 * `__key__`, `__url__`, the lineage and the other fields are kept; the input batch is not modified.
 * Draws per image from `(seed, 'jigsaw', epoch, key)`. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad k, mode, field, seed or handler; at run time a
 *   `SampleError` (reason `'jigsaw'`) through the handler when k does not divide the images' size.
 * @example
 * createLoader(fromShards('data/cifar-{000..003}.tar', { seed: 1 }), decode(), batch(64, { partial: false }), jigsaw({ k: 2, seed: 1 }));
 * @see jigsawTransform for the pure transform (as `ndaPairs` uses it)
 */
export function jigsaw<B extends Batch = Batch>(options?: JigsawOptions): MonoTypeOperatorFunction<B>;
export function jigsaw(options: JigsawOptions = {}): OperatorFunction<Batch, Batch> {
  checkOptionKeys('jigsaw', options, JIGSAW_KEYS);
  const action = 'create a jigsaw';
  const transform = jigsawTransform(transformOptionsOf(action, options, ['k', 'mode']));
  return ndaOperator(action, transform, options);
}
