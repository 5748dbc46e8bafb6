import type * as TFJS from '@tensorflow/tfjs';
import { fileIoHandler } from './file-io-handler.js';

/**
 * Saves named tensors (an optimizer's state, an EMA, a queue) into the folder `dir` as weights-only
 * model artifacts through `fileIoHandler` (`model.json` with the names, shapes and dtypes in order,
 * `weights.bin`), tagged with `format`; `readNamedWeights` reads them back. The tensors stay the caller's.
 */
export async function saveNamedWeights(
  tf: typeof TFJS,
  named: readonly { name: string; tensor: TFJS.Tensor }[],
  dir: string,
  format: string,
): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights([...named]);
  await fileIoHandler(tf, dir).save!({ weightSpecs: specs, weightData: data, format, generatedBy: 'ndaflow' });
}
