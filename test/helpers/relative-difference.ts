import type * as TFJS from '@tensorflow/tfjs';

/** `max |a - b| / max(max |b|, 1e-3)`: how far a kernel's result is from a reference, relative to the reference's scale. */
export function relativeDifference(tf: typeof TFJS, a: TFJS.Tensor, b: TFJS.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(1e-3, tf.max(tf.abs(b)).dataSync()[0]!));
}
