import type * as TF from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry.js';
import { heapOffset, type WasmBackendMemory } from './wasm-backend-memory.js';
import { wrappedKernel } from './wrapped-kernel.js';
import { simdEpilogue, type SimdEpilogue } from './fused-epilogue.js';
import { heapOutput, withHeapScratch } from './heap-tensor.js';
import { simdTeamOf } from '../simd/backend-simd-team.js';
import { packedFilterLength, runConv2d } from '../simd/conv2d.js';

/**
 * The project's SIMD convolution (`simd/conv2d.c`) of a float32 NHWC input, dilation 1, on the threaded
 * build; `null` for any other call, which the caller hands to the package's kernel.
 */
function simdConv2d(
  tf: typeof TF,
  kernelName: string,
  backend: object,
  x: TF.TensorInfo,
  filter: TF.TensorInfo,
  a: TF.Conv2DAttrs,
  epilogue: SimdEpilogue,
): TF.TensorInfo | null {
  const dilations = typeof a.dilations === 'number' ? [a.dilations, a.dilations] : (a.dilations ?? [1, 1]);
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || a.dataFormat !== 'NHWC') return null;
  if (dilations[0] !== 1 || dilations[1] !== 1) return null;
  const g = convGeometry(tf, kernelName, x.shape, filter.shape, a);
  const { bias } = epilogue;
  if (bias !== undefined && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== g.outChannels))
    return null;
  const team = simdTeamOf(backend);
  if (team === null) return null;
  const memory = backend as unknown as WasmBackendMemory;
  const at = (t: TF.TensorInfo): number => heapOffset(memory, t);
  // what a tap in the padding reads, and the packed filter
  const scratch = [{ floats: g.inChannels, zero: true }, { floats: packedFilterLength(g) }];
  return withHeapScratch(memory, scratch, ([zero, packed]) =>
    heapOutput(memory, [g.batch, g.outHeight, g.outWidth, g.outChannels], (out) => {
      runConv2d(team, g, {
        x: at(x),
        filter: at(filter),
        y: at(out),
        zero: zero!,
        packed: packed!,
        bias: bias === undefined ? 0 : at(bias),
        relu: epilogue.relu,
      });
    }),
  );
}

/**
 * A `Conv2D` kernel for the wasm backend that runs the project's SIMD convolution (`simd/conv2d.c`) on
 * the threaded build for float32 NHWC convolutions of dilation 1, and hands every other call to the
 * package's (XNNPACK's).
 *
 * Why: XNNPACK packs a filter it has not seen before every call (6-11 ns an element), and in training
 * every filter is new after each update; `conv2d.c` packs it in one pass into cache-line-aligned blocks.
 * On the DCGAN's and BigGAN's layer shapes alone it ran at 33-42 GMAC/s against XNNPACK's 28-32 with its
 * operator cached (`bench:train-step`'s `conv_gmac_per_s_by_kernel`).
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `Conv2D` config for `wasm` (`tf.getKernel('Conv2D', 'wasm')`).
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function conv2dKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { x, filter } = inputs as unknown as { x: TF.TensorInfo; filter: TF.TensorInfo };
    return simdConv2d(tf, tf.Conv2D, backend, x, filter, attrs as unknown as TF.Conv2DAttrs, { relu: false });
  });
}

/**
 * A `FusedConv2D` kernel for the wasm backend (tfjs's convolution with a bias and an activation, which
 * tfjs-layers' `conv2d` with `useBias` runs): the same SIMD convolution as {@link conv2dKernel}, the bias
 * starting each output's sum and a ReLU applied as it is stored, for a `linear` or `relu` activation and
 * a bias of one value per output channel (or none). Every other call (other activations, PReLU weights,
 * other bias shapes) goes to the package's kernel.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `FusedConv2D` config for `wasm`.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function fusedConv2dKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { x, filter } = inputs as unknown as { x: TF.TensorInfo; filter: TF.TensorInfo };
    const a = attrs as unknown as TF.FusedConv2DAttrs;
    const epilogue = simdEpilogue(inputs, a.activation);
    return epilogue === null ? null : simdConv2d(tf, tf.FusedConv2D, backend, x, filter, a, epilogue);
  });
}
