import type * as TFJS from '@tensorflow/tfjs';
import { rangeError } from '../../sources/errors.js';
import { checkWeightShapes } from './check-weight-shapes.js';

/**
 * Checks an optimizer state read from a checkpoint (`saveOptimizerState`) against the trainable weights
 * it updates: besides `iter`, a whole number of slots per weight (Adam: two), slot i shaped like
 * trainable weight `i % count`. `what` names it in messages (`generator optimizer state`). Nothing is assigned.
 *
 * @throws RangeError `Cannot <action> as the <what> must hold a multiple of N tensors besides iter`, or of a shape.
 */
export function checkOptimizerState(
  action: string,
  what: string,
  named: readonly { name: string; tensor: TFJS.Tensor }[],
  trainable: readonly (readonly (number | null)[])[],
): void {
  const slots = named.filter((n) => n.name !== 'iter');
  if (trainable.length === 0 || slots.length % trainable.length !== 0) {
    throw rangeError(
      action,
      `the ${what} must hold a multiple of ${trainable.length} tensors besides iter`,
      slots.length,
    );
  }
  checkWeightShapes(
    action,
    what,
    slots,
    slots.map((_, i) => trainable[i % trainable.length]!),
  );
}
