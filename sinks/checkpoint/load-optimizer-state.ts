import type * as TFJS from '@tensorflow/tfjs';

/**
 * Puts a checked optimizer state (`saveOptimizerState`, then `checkOptimizerState`) back into a live
 * optimizer: `setWeights`, releasing the state it replaces, then the saved beta powers
 * (`optimizerBetaPowers`; `undefined` or `null`: none saved, Adam keeps what `setWeights` computed).
 * The tensors of `named` stay the caller's.
 */
export async function loadOptimizerState(
  tf: typeof TFJS,
  optimizer: TFJS.Optimizer,
  named: readonly { name: string; tensor: TFJS.Tensor }[],
  betaPowers: Record<string, unknown> | null | undefined,
): Promise<void> {
  const previous = await optimizer.getWeights();
  await optimizer.setWeights([...named]);
  tf.dispose(previous.map((n) => n.tensor));
  if (betaPowers === undefined || betaPowers === null) return;
  for (const key of ['accBeta1', 'accBeta2']) {
    const v = (optimizer as unknown as Record<string, unknown>)[key];
    const value = betaPowers[key];
    if (v instanceof tf.Variable && v.size === 1 && typeof value === 'number' && Number.isFinite(value)) {
      tf.tidy(() => v.assign(tf.scalar(value, v.dtype)));
    }
  }
}
