import type * as TFJS from '@tensorflow/tfjs';
import { checkLabels } from './internal/check-labels.js';
import { classifierInput } from './internal/classifier-input.js';
import type { LabelledBatch } from './labelled-batch.js';

/** What {@link evaluateClassifier} returns. */
export interface ClassifierScore {
  /** Fraction of images whose arg-max logit is their label (NaN when there is no image). */
  readonly accuracy: number;
  /** Images scored. */
  readonly n: number;
}

/**
 * Top-1 accuracy of a classifier (`[n, s, s, c]` -> `[n, classes]` logits, e.g. from
 * `createFmnistClassifier` or `loadFmnistClassifier`) over labelled batches, batch by batch; images
 * smaller than the model's input are padded with black as in training. Every tensor is disposed
 * per batch.
 * @throws RangeError/TypeError for a batch whose labels do not match its images.
 */
export async function evaluateClassifier(
  tf: typeof TFJS,
  model: TFJS.LayersModel,
  testBatches: AsyncIterable<LabelledBatch> | Iterable<LabelledBatch>,
): Promise<ClassifierScore> {
  const size = model.inputs[0]!.shape[1] as number;
  const classes = model.outputs[0]!.shape[1] as number;
  let correct = 0;
  let n = 0;
  for await (const batch of testBatches) {
    checkLabels('evaluate a classifier', batch, classes);
    const x = classifierInput(tf, batch.images, size);
    let predicted: Int32Array;
    try {
      const argmax = tf.tidy(() => tf.argMax(model.predict(x) as TFJS.Tensor2D, 1));
      predicted = (await argmax.data()) as Int32Array;
      argmax.dispose();
    } finally {
      x.dispose();
    }
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === batch.labels[i]) correct++;
    n += predicted.length;
  }
  return { accuracy: n === 0 ? Number.NaN : correct / n, n };
}
