import type * as TFJS from '@tensorflow/tfjs';
import { saveNamedWeights } from './save-named-weights.js';

/**
 * Saves an optimizer's state (`optimizer.getWeights()`: `iter` then its slots such as Adam's moments,
 * names and order kept) into the folder `dir` (format `ndaflow-optimizer`); `checkOptimizerState` and
 * `loadOptimizerState` put it back. The tensors `getWeights` makes (the iteration count) are released;
 * the optimizer's own variables are left alone.
 */
export async function saveOptimizerState(tf: typeof TFJS, optimizer: TFJS.Optimizer, dir: string): Promise<void> {
  const named = await optimizer.getWeights();
  try {
    await saveNamedWeights(tf, named, dir, 'ndaflow-optimizer');
  } finally {
    // getWeights returns the optimizer's own variables plus fresh tensors (the iteration count): free those.
    tf.dispose(named.filter((n) => !(n.tensor instanceof tf.Variable)).map((n) => n.tensor));
  }
}
