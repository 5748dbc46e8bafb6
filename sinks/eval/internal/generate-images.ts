import type * as TFJS from '@tensorflow/tfjs';
import { conditionalClasses } from '../../gan/conditional-classes.js';

/**
 * Images of a generator (inference mode) for latents `[n, z]`: an unconditional generator takes the
 * latents alone; a class-conditional one (`conditionalClasses(generator) !== null`) also gets int32
 * `[n, 1]` labels, image `i` of the call labelled `labelOf(i) mod classes`, so callers choose balanced
 * classes (evaluation) or one class per row (sample grids). The caller owns the result (call it inside
 * `tf.tidy`).
 */
export function generateImages(
  tf: typeof TFJS,
  generator: TFJS.LayersModel,
  latents: TFJS.Tensor2D,
  labelOf: (i: number) => number,
): TFJS.Tensor4D {
  const classes = conditionalClasses(generator);
  if (classes === null) return generator.predict(latents) as TFJS.Tensor4D;
  const n = latents.shape[0];
  const labels = Int32Array.from({ length: n }, (_, i) => ((labelOf(i) % classes) + classes) % classes);
  return generator.predict([latents, tf.tensor2d(labels, [n, 1], 'int32')]) as TFJS.Tensor4D;
}
