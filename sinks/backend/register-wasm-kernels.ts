import type * as TF from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterKernel } from './kernels/conv2d-backprop-filter.js';
import { conv2dBackpropInputKernel } from './kernels/conv2d-backprop-input.js';

/**
 * Registers the project's wasm kernels: `Conv2DBackpropFilter` (missing from tfjs-backend-wasm) and a
 * faster `Conv2DBackpropInput` (replacing the package's). Idempotent: a kernel already registered for
 * `wasm` is unregistered first, so calling it twice neither warns nor stacks registrations.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @returns the names of the kernels registered.
 */
export function registerWasmKernels(tf: typeof TF): string[] {
  const configs = [conv2dBackpropFilterKernel(tf), conv2dBackpropInputKernel(tf)];
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, 'wasm') != null) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  return configs.map((c) => c.kernelName);
}
