import type { OperatorFunction, MonoTypeOperatorFunction } from 'rxjs';
import type { Batch } from '../sources/sample.js';
import { ndaOperator, transformOptionsOf, type NdaOperatorOptions } from './internal/nda-operator.js';
import { shiftTransform, type ShiftTransformOptions } from './internal/nda-shift.js';
import { checkOptionKeys, optionKeys } from '../sources/option-keys.js';

const SHIFT_KEYS = optionKeys<ShiftOptions>({
  offset: true,
  mode: true,
  field: true,
  seed: true,
  handler: true,
  onSeed: true,
});

export {
  shiftTransform,
  type ShiftResolvedOptions,
  type ShiftResult,
  type ShiftTransform,
  type ShiftTransformOptions,
} from './internal/nda-shift.js';

/** Options of {@link shift}: the transform's ({@link ShiftTransformOptions}) and the operator's. */
export interface ShiftOptions extends ShiftTransformOptions, NdaOperatorOptions {}

/**
 * Replaces each image of a batch by a shift negative: the image rolled (wrapped around) down and
 * right by one offset per batch, 10..24 px at 32 px scaled with the image, as the official code's
 * `shifted` (see {@link shiftTransform}); with `mode: 'official'`, exactly the official `shifted`,
 * which leaves the bottom-right block in place. `__key__`, `__url__`, the lineage and the other fields
 * are kept; the input batch is not modified. Draws from `(seed, 'shift', epoch, the batch's keys)`.
 * Deterministic given `seed`.
 *
 * @throws RangeError/TypeError for a bad offset, field, seed or handler.
 * @example
 * createLoader(source, decode(), batch(64), shift({ seed: 1 }));
 * @see shiftTransform for the pure transform (as `ndaPairs` uses it)
 */
export function shift<B extends Batch = Batch>(options?: ShiftOptions): MonoTypeOperatorFunction<B>;
export function shift(options: ShiftOptions = {}): OperatorFunction<Batch, Batch> {
  checkOptionKeys('shift', options, SHIFT_KEYS);
  const action = 'create a shift';
  const transform = shiftTransform(transformOptionsOf(action, options, ['offset', 'mode']));
  return ndaOperator(action, transform, options);
}
