import type * as TFJS from '@tensorflow/tfjs';
import { fileIoHandler } from './file-io-handler.js';

/**
 * Reads the weights saved in the folder `dir` (a model's folder, or one `saveNamedWeights` wrote) as
 * named tensors, in the saved order. `action` and `part` make the messages (`Cannot <action> as its
 * <part> must be readable: ...`). The caller owns (and disposes) the tensors.
 *
 * @throws Error when the folder cannot be read (missing, corrupt or short files) or its weight names repeat.
 */
export async function readNamedWeights(
  tf: typeof TFJS,
  action: string,
  dir: string,
  part: string,
): Promise<{ name: string; tensor: TFJS.Tensor }[]> {
  let artifacts: TFJS.io.ModelArtifacts;
  try {
    artifacts = await fileIoHandler(tf, dir).load!();
  } catch (error) {
    throw new Error(`Cannot ${action} as its ${part} must be readable: ${(error as Error).message}`, { cause: error });
  }
  const specs = artifacts.weightSpecs ?? [];
  if (new Set(specs.map((s) => s.name)).size !== specs.length)
    throw new Error(`Cannot ${action} as the ${part} weight names must be unique`);
  const map = tf.io.decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), specs);
  return specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
}
