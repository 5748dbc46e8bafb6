import { rangeError, typeError } from '../../../sources/errors.js';
import type { LabelledBatch } from '../labelled-batch.js';

/**
 * Checks one labelled batch against a classifier of `classes` outputs.
 * @throws TypeError/RangeError naming `action` when the labels do not match the images.
 */
export function checkLabels(action: string, batch: LabelledBatch, classes: number): void {
  const { images, labels } = (batch ?? {}) as Partial<LabelledBatch>;
  if (!(labels instanceof Int32Array))
    throw typeError(
      action,
      'each batch must have labels as an Int32Array',
      labels === undefined ? 'undefined' : (labels as object | null)?.constructor?.name,
    );
  if (images === undefined || !Array.isArray(images.shape))
    throw typeError(action, 'each batch must have images as an ImageBatch', images);
  if (labels.length !== images.shape[0])
    throw rangeError(action, `each batch must have one label per image (${images.shape[0]})`, labels.length);
  for (const l of labels)
    if (l < 0 || l >= classes) throw rangeError(action, `every label must be in [0, ${classes - 1}]`, l);
}
