import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { Batch } from '../sources/sample.js';
import { cutoutTransform, type CutoutTransformOptions } from './internal/nda-cutout.js';
import { ndaOperator, transformOptionsOf, type NdaOperatorOptions } from './internal/nda-operator.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const CUTOUT_KEYS = optionKeys<CutoutOptions>({ size: true, field: true, seed: true, handler: true, onSeed: true });

export {
  cutoutTransform,
  type CutoutResolvedOptions,
  type CutoutResult,
  type CutoutTransform,
  type CutoutTransformOptions,
} from './internal/nda-cutout.js';

/** Options of {@link cutout}: the transform's ({@link CutoutTransformOptions}) and the operator's. */
export interface CutoutOptions extends CutoutTransformOptions, NdaOperatorOptions {}

/**
 * Replaces each image of a batch by a cutout negative: one square per image (side 10..19 px at
 * 32 px, scaled with the image; or `size`), fully inside the image at a random place, filled with
 * the square's own per-channel mean (not zeros); the rest untouched (see {@link cutoutTransform}).
 * `__key__`, `__url__`, the lineage and the other fields are kept; the input batch is not modified.
 * Draws per image from `(seed, 'cutout', epoch, key)`. Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad size, field, seed or handler; at run time a `SampleError`
 *   (reason `'cutout'`) through the handler when a fixed size does not fit in the images.
 * @example
 * createLoader(source, decode(), batch(64), cutout({ seed: 1 }));
 * @see cutoutTransform for the pure transform (as `ndaPairs` uses it)
 */
export function cutout<B extends Batch = Batch>(options?: CutoutOptions): MonoTypeOperatorFunction<B>;
export function cutout(options: CutoutOptions = {}): OperatorFunction<Batch, Batch> {
  checkOptionKeys('cutout', options, CUTOUT_KEYS);
  const action = 'create a cutout';
  const transform = cutoutTransform(transformOptionsOf(action, options, ['size']));
  return ndaOperator(action, transform, options);
}
