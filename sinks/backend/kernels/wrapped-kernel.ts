import type * as TF from '@tensorflow/tfjs-core';

const ORIGINALS = new WeakMap<TF.KernelConfig, TF.KernelConfig>();

/**
 * A wasm kernel that handles the cases it is faster for and hands every other call to the package's own
 * kernel (`original`). The wrapper keeps the original's `setupFunc` (which binds its wasm function when
 * the backend initialises), and remembers the original so that wrapping twice wraps the original again
 * rather than the wrapper (see {@link originalKernel}).
 *
 * @param original the package's registered config (or a previous wrapper of it).
 * @param fast returns the result for the calls it handles, `null` for the others.
 */
export function wrappedKernel(
  original: TF.KernelConfig,
  fast: (args: Parameters<TF.KernelFunc>[0], fallback: TF.KernelFunc) => TF.TensorInfo | TF.TensorInfo[] | null,
): TF.KernelConfig {
  const base = originalKernel(original);
  const fallback = base.kernelFunc;
  const config: TF.KernelConfig = {
    kernelName: base.kernelName,
    backendName: base.backendName,
    kernelFunc: (args) => fast(args, fallback) ?? fallback(args),
    ...(base.setupFunc ? { setupFunc: base.setupFunc } : {}),
    ...(base.disposeFunc ? { disposeFunc: base.disposeFunc } : {}),
  };
  ORIGINALS.set(config, base);
  return config;
}

/** The package's own config behind a {@link wrappedKernel} (the config itself when it is not a wrapper). */
export function originalKernel(config: TF.KernelConfig): TF.KernelConfig {
  return ORIGINALS.get(config) ?? config;
}
