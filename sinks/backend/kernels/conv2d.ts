import type * as TF from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry.js';
import type { WasmBackendMemory } from './wasm-backend-memory.js';
import { wrappedKernel } from './wrapped-kernel.js';
import { simdTeamOf } from '../simd/backend-simd-team.js';
import { packedFilterLength, runConv2d, simdConv2dFits } from '../simd/conv2d.js';

/**
 * A `Conv2D` kernel for the wasm backend that runs the project's SIMD convolution (`simd/conv2d.c`) on
 * the threaded build for float32 NHWC convolutions of dilation 1 with a multiple of 4 output channels,
 * and hands every other call to the package's (XNNPACK's).
 *
 * Why: XNNPACK packs a filter it has not seen before every call (6-11 ns an element), and in training
 * every filter is new after each update; `conv2d.c` reads the filter as it lies. On the DCGAN's layer
 * shapes with a new filter each call it ran at 0.85-1.35x XNNPACK's rate (`bench:train-step`'s profile).
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module.
 * @param original the package's `Conv2D` config for `wasm` (`tf.getKernel('Conv2D', 'wasm')`).
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function conv2dKernel(tf: typeof TF, original: TF.KernelConfig): TF.KernelConfig {
  return wrappedKernel(original, ({ inputs, attrs, backend }) => {
    const { x, filter } = inputs as unknown as { x: TF.TensorInfo; filter: TF.TensorInfo };
    const a = attrs as unknown as TF.Conv2DAttrs;
    const dilations = typeof a.dilations === 'number' ? [a.dilations, a.dilations] : (a.dilations ?? [1, 1]);
    if (x.dtype !== 'float32' || filter.dtype !== 'float32' || a.dataFormat !== 'NHWC') return null;
    if (dilations[0] !== 1 || dilations[1] !== 1) return null;
    const g = convGeometry(tf, tf.Conv2D, x.shape, filter.shape, a);
    if (!simdConv2dFits(g)) return null;
    const team = simdTeamOf(backend);
    if (team === null) return null;
    const memory = backend as unknown as WasmBackendMemory;
    const out = memory.makeOutput([g.batch, g.outHeight, g.outWidth, g.outChannels], 'float32');
    // one scratch: the zeros, then the packed filter from the next 64-byte boundary
    const zeros = Math.ceil(Math.max(1, g.inChannels) / 16) * 16;
    const scratch = memory.makeOutput([zeros + packedFilterLength(g) + 16], 'float32');
    const release = (info: TF.TensorInfo): void => {
      (backend as TF.KernelBackend).disposeData(info.dataId);
    };
    try {
      const at = (t: TF.TensorInfo): number => memory.typedArrayFromHeap(t).byteOffset;
      const base = at(scratch);
      const zero = Math.ceil(base / 64) * 64;
      memory.typedArrayFromHeap(scratch).fill(0, (zero - base) / 4, (zero - base) / 4 + zeros);
      runConv2d(team, g, { x: at(x), filter: at(filter), y: at(out), zero, packed: zero + zeros * 4 });
    } catch (error) {
      release(out);
      throw error;
    } finally {
      release(scratch);
    }
    return out;
  });
}
