import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { Batch } from '../sources/sample.js';
import { noiseTransform, type NoiseTransformOptions } from './internal/nda-noise.js';
import { ndaOperator, transformOptionsOf, type NdaOperatorOptions } from './internal/nda-operator.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const NOISE_KEYS = optionKeys<NoiseOptions>({ range: true, field: true, seed: true, handler: true, onSeed: true });

export {
  noiseTransform,
  type NoiseResolvedOptions,
  type NoiseTransform,
  type NoiseTransformOptions,
} from './internal/nda-noise.js';

/** Options of {@link noise}: the transform's ({@link NoiseTransformOptions}) and the operator's. */
export interface NoiseOptions extends NoiseTransformOptions, NdaOperatorOptions {}

/**
 * Replaces each image of a batch by uniform noise of its shape and type (8-bit: every value
 * 0..255; float32: uniform in `range`, default [0, 1]), as the official code's `noise` (see
 * {@link noiseTransform}). `__key__`, `__url__`, the lineage and the other fields are kept; the
 * input batch is not modified. Draws per image from `(seed, 'noise', epoch, key)`. Deterministic
 * given `seed`.
 *
 * @throws RangeError/TypeError for a bad range, field, seed or handler.
 * @example
 * createLoader(source, decode(), batch(64), noise({ seed: 1 }));
 * @see noiseTransform for the pure transform (as `ndaPairs` uses it)
 */
export function noise<B extends Batch = Batch>(options?: NoiseOptions): MonoTypeOperatorFunction<B>;
export function noise(options: NoiseOptions = {}): OperatorFunction<Batch, Batch> {
  checkOptionKeys('noise', options, NOISE_KEYS);
  const action = 'create a noise';
  const transform = noiseTransform(transformOptionsOf(action, options, ['range']));
  return ndaOperator(action, transform, options);
}
