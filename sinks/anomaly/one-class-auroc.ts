import { rangeError, typeError, isArray } from '../../sources/errors.js';
import { auroc } from './auroc.js';

/**
 * The one-class protocol's AUROC (train on class `normalClass` as normal, test normal against every
 * other class): the test images of `normalClass` are the positives, all others the negatives, scored
 * by {@link auroc} (higher score = more normal).
 *
 * @param scores One anomaly score per test image (the discriminator's logit).
 * @param labels The test images' class labels (e.g. a batch's `cls` column).
 * @param normalClass The class trained on.
 * @throws TypeError/RangeError when the lengths differ, a label or the class is not an integer, or the
 *   test set has no image of the normal class or none of another (and {@link auroc}'s errors).
 * @example
 * oneClassAuroc(scores, testCls, 0); // e.g. 0.82: T-shirts vs the nine other classes
 */
export function oneClassAuroc(scores: ArrayLike<number>, labels: ArrayLike<number>, normalClass: number): number {
  const action = 'compute a one-class AUROC';
  if (typeof normalClass !== 'number' || !Number.isInteger(normalClass))
    throw typeError(action, 'normalClass must be an integer', normalClass);
  if (!(isArray(labels) || ArrayBuffer.isView(labels)))
    throw typeError(action, 'labels must be an array of class labels', typeof labels);
  const positive = new Uint8Array(labels.length);
  let normals = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (typeof l !== 'number' || !Number.isInteger(l))
      throw typeError(action, `labels must be integers (label ${i})`, l);
    if (l === normalClass) {
      positive[i] = 1;
      normals++;
    }
  }
  if (normals === 0)
    throw rangeError(
      action,
      `the test labels must include the normal class ${normalClass}`,
      `${labels.length} label(s), none ${normalClass}`,
    );
  if (normals === labels.length)
    throw rangeError(
      action,
      'the test labels must include another class than the normal one',
      `${labels.length} label(s), all ${normalClass}`,
    );
  return auroc(scores, positive);
}
