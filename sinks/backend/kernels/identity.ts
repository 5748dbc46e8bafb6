import type * as TF from '@tensorflow/tfjs-core';
import { wrappedKernel } from './wrapped-kernel.js';

/** The `BackendWasm` method {@link identityKernel} and {@link castKernel} use: one more reference to a tensor's data. */
interface WasmRefCount {
  incRef(dataId: TF.DataId): void;
}

/**
 * An `Identity` kernel for the wasm backend that shares its input's data (one more reference, as the cpu
 * backend's `Identity` and wasm's own `Reshape` do) instead of copying it as the package's does. The engine
 * runs `Identity` on every tensor it saves for a gradient (`saveTensorsForBackwardMode` clones each), so
 * on wasm a training step copied every activation it differentiates through: ~20 ms of a DCGAN ch 64
 * step, ~60 ms of an SN-ResNet ch 32 one (train-step-profile, 2026-12-06). Sharing is safe because no
 * kernel writes into its inputs (outputs are fresh, `makeOutput`) and a variable's `assign` replaces
 * its data rather than writing into it. String tensors go to the package's kernel.
 *
 * @param original the package's `Identity` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function identityKernel(original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, backend }) => {
    const { x } = inputs as unknown as { x: TF.TensorInfo };
    return x.dtype === 'string' ? null : shared(backend, x);
  });
}

/**
 * A `Cast` kernel for the wasm backend that shares its input's data when the dtype does not change (as the
 * cpu backend's `Cast` does), instead of copying it as the package's does; tfjs-core's `cast` op runs the
 * kernel even then (a BigGAN ch 16 step cast ~30 float32 activations to float32: ~30 ms, train-step
 * profile 2026-12-06). Safe for the reasons given at {@link identityKernel}. Every other cast goes to the
 * package's kernel.
 *
 * @param original the package's `Cast` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function castKernel(original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { x } = inputs as unknown as { x: TF.TensorInfo };
    const { dtype } = attrs as unknown as TF.CastAttrs;
    return x.dtype === 'string' || dtype !== x.dtype ? null : shared(backend, x);
  });
}

/** `x` with one more reference to its data. */
function shared(backend: unknown, x: TF.TensorInfo): TF.TensorInfo {
  (backend as WasmRefCount).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
