import type * as TFJS from '@tensorflow/tfjs';
import { rangeError } from '../../sources/errors.js';

/**
 * Checks that tensors read from a checkpoint match the live ones they will be assigned to: as many,
 * and tensor i of shape `shapes[i]` (a `null` dimension matches nothing but `null`). `what` names them
 * in messages (`generator weights`, `queue`).
 *
 * @throws RangeError `Cannot <action> as the <what> must be N tensors` or `... tensor i (name) must have shape [...]`.
 */
export function checkWeightShapes(
  action: string,
  what: string,
  named: readonly { name: string; tensor: TFJS.Tensor }[],
  shapes: readonly (readonly (number | null)[])[],
): void {
  if (named.length !== shapes.length)
    throw rangeError(action, `the ${what} must be ${shapes.length} tensors`, named.length);
  named.forEach((n, i) => {
    const shape = shapes[i]!;
    if (n.tensor.shape.length !== shape.length || n.tensor.shape.some((s, j) => s !== shape[j])) {
      throw rangeError(
        action,
        `the ${what} tensor ${i} (${n.name}) must have shape [${shape.join(', ')}]`,
        n.tensor.shape,
      );
    }
  });
}
