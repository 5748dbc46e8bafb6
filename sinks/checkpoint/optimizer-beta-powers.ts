import type * as TFJS from '@tensorflow/tfjs';

/**
 * The values of an optimizer's running beta powers (`accBeta1` / `accBeta2` of Adam and Adamax), if it
 * has them, for a checkpoint's `state.json`: Adam's `setWeights` recomputes them with `pow`, which
 * differs from the repeated products in the last float bits, so `loadOptimizerState` puts the saved
 * values back and a resumed step is identical. `{}` for other optimizers.
 */
export function optimizerBetaPowers(optimizer: TFJS.Optimizer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of ['accBeta1', 'accBeta2']) {
    const v = (optimizer as unknown as Record<string, unknown>)[key] as TFJS.Tensor | undefined;
    if (v !== undefined && v !== null && typeof v.dataSync === 'function' && v.size === 1) out[key] = v.dataSync()[0]!;
  }
  return out;
}
