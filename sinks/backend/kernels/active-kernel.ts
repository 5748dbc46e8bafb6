import type * as TF from '@tensorflow/tfjs-core';

/**
 * Whether the active backend has a kernel `name` registered: how the project's ops and gradients choose
 * between a kernel of their own (registered for wasm by `registerWasmKernels`) and the same computation
 * in tfjs ops.
 */
export function activeBackendHas(tf: typeof TF, name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) != null;
}
