import type * as TFJS from '@tensorflow/tfjs';
import { rangeError } from '../../sources/errors.js';
import type { MocoModels } from './moco-models.js';

/**
 * Writes `keys` (`[b, d]`, owned by the caller) into the MoCo queue as a FIFO ring: key j goes to row
 * `(queuePointer + j) mod K`, replacing the oldest keys; the pointer advances by `b` (mod K) and
 * `queueFill` grows to at most K. When `b > K` only the last K keys are kept (each still in its ring
 * row). The queue variable is assigned in place; every intermediate tensor is released.
 *
 * @throws RangeError when keys are not `[b, d]` with the queue's d.
 */
export function enqueueKeys(
  tf: typeof TFJS,
  models: Pick<MocoModels, 'queue' | 'queuePointer' | 'queueFill'>,
  keys: TFJS.Tensor2D,
): void {
  const queue = models.queue;
  const [size, d] = queue.shape as [number, number];
  if (keys.rank !== 2 || keys.shape[1] !== d)
    throw rangeError('enqueue MoCo keys', `keys must be [b, ${d}]`, keys.shape);
  const b = keys.shape[0];
  if (b === 0) return;
  const pointer = models.queuePointer;
  const kept = Math.min(b, size);
  const start = (pointer + b - kept) % size; // ring row of the first kept key
  const head = Math.min(kept, size - start); // kept keys written at [start, start + head)
  const wrapped = kept - head; // the rest, written at [0, wrapped)
  tf.tidy(() => {
    const fresh = tf.slice(keys, [b - kept, 0], [kept, d]);
    const parts: TFJS.Tensor[] = [];
    if (wrapped > 0) parts.push(tf.slice(fresh, [head, 0], [wrapped, d]));
    if (start > wrapped) parts.push(tf.slice(queue, [wrapped, 0], [start - wrapped, d]));
    parts.push(tf.slice(fresh, [0, 0], [head, d]));
    if (start + head < size) parts.push(tf.slice(queue, [start + head, 0], [size - start - head, d]));
    queue.assign(parts.length === 1 ? parts[0]!.clone() : tf.concat(parts, 0));
  });
  models.queuePointer = (pointer + b) % size;
  models.queueFill = Math.min(size, models.queueFill + b);
}
