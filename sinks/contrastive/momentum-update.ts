import type * as TFJS from '@tensorflow/tfjs';
import { rangeError, typeError } from '../../sources/errors.js';

/**
 * MoCo's momentum update of a key network from its query network: every weight
 * `key <- m * key + (1 - m) * query`, in `model.weights` order. Our choice for batch norm: its moving
 * mean and variance (non-trainable weights) are averaged the same way as the parameters (official
 * MoCo averages only the parameters and leaves the key encoder's buffers to its own training-mode
 * forwards; averaging them too keeps the key encoder's inference-mode statistics close to the query
 * encoder's, and the update stays one rule for every weight). `m = 0` copies the query weights;
 * `m = 1` leaves the key as it is. Every intermediate tensor is released.
 *
 * @throws RangeError/TypeError for a momentum outside [0, 1] or networks whose weights differ in number or shape.
 */
export function momentumUpdate(
  tf: typeof TFJS,
  query: TFJS.LayersModel,
  key: TFJS.LayersModel,
  momentum: number,
): void {
  const action = 'update a momentum encoder';
  if (typeof momentum !== 'number' || Number.isNaN(momentum))
    throw typeError(action, 'momentum must be a number', momentum);
  if (!(momentum >= 0 && momentum <= 1)) throw rangeError(action, 'momentum must be in [0, 1]', momentum);
  const q = query.weights;
  const k = key.weights;
  const same =
    q.length === k.length &&
    q.every((w, i) => w.shape.length === k[i]!.shape.length && w.shape.every((s, j) => s === k[i]!.shape[j]));
  if (!same)
    throw rangeError(
      action,
      `the key network must have the query network's ${q.length} weights of the same shapes`,
      k.length,
    );
  tf.tidy(() => {
    q.forEach((w, i) => {
      const target = k[i]!.read() as TFJS.Variable;
      target.assign(tf.add(tf.mul(target, momentum), tf.mul(w.read(), 1 - momentum)));
    });
  });
}
