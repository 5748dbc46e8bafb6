import type * as TF from '@tensorflow/tfjs-core';
import { convGeometry, padOrCrop, phaseTaps } from './conv-geometry.js';
import type { ConvGeometry, PhaseTaps } from './conv-geometry.js';
import { heapOutput, heapTensor, withHeapScratch } from './heap-tensor.js';
import { heapOffset, type WasmBackendMemory } from './wasm-backend-memory.js';
import { simdTeamOf } from '../simd/backend-simd-team.js';
import {
  inputGradPackedLengths,
  inputGradPhases,
  patchesProduct,
  runInputGrad,
  runInputGradByPatches,
  usesPatches,
} from '../simd/input-grad.js';
import { packedFilterLength } from '../simd/conv2d.js';

/**
 * A faster `Conv2DBackpropInput` kernel for the wasm backend (its own is a slow scalar loop).
 *
 * On the threaded build (float32) it is the project's SIMD convolution run once per phase (see
 * `simd/input-grad.ts`): each phase's filter packed flipped and channel-swapped in one pass, and each
 * phase's output written into `dx` in place, so that nothing is copied in JS; a `dx` of 1 to 3 channels
 * at a stride above 1 (a generator's RGB output) as one matrix product and an overlap-add instead
 * (`usesPatches`). Otherwise (`{ simd: false }`,
 * the single-threaded build) it is built from the backend's `Conv2D`, as follows.
 *
 * Stride 1: `dy` is padded (or cropped) so that every input position sees the full filter window and
 * convolved with the filter flipped in both spatial axes and with its in/out channels swapped.
 *
 * Stride > 1 (sub-pixel / phase decomposition): output row `i = s*q + r` only ever meets the filter taps
 * `k ≡ (r + padTop) mod s`, so each of the `sh * sw` phases is an ordinary stride-1 convolution of the
 * un-spread `dy` with the (flipped, channel-swapped) sub-filter of those taps; the phase outputs are
 * interleaved into `dx`. This skips the `(s*s - 1) / (s*s)` of the multiplies that
 * zero insertion spends on inserted zeros. A phase that meets no tap (filter smaller than the stride)
 * is zeros.
 *
 * The (flipped, channel-swapped) sub-filters and the interleaving are plain copies done in JS on the wasm
 * heap: as tfjs ops (transpose, one slice per tap, concat, stack) they were ~200 small kernels per step.
 *
 * NHWC only (throws a `TypeError` for NCHW); every intermediate tensor is disposed (`tf.tidy`).
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module (passed in so that importing this file loads nothing).
 * @param options `simd: false` keeps the path built from `Conv2D` on the threaded build too.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function conv2dBackpropInputKernel(tf: typeof TF, options: { readonly simd?: boolean } = {}): TF.KernelConfig {
  const { simd = true } = options;
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, filter } = inputs as unknown as { dy: TF.Tensor4D; filter: TF.Tensor4D };
      const a = attrs as unknown as TF.Conv2DBackpropInputAttrs;
      const g = convGeometry(tf, tf.Conv2DBackpropInput, a.inputShape, filter.shape, a);
      const memory = backend as unknown as WasmBackendMemory;
      const team = simd && dy.dtype === 'float32' && filter.dtype === 'float32' ? simdTeamOf(backend) : null;
      if (team !== null && usesPatches(g)) {
        const product = patchesProduct(g);
        const scratch = [
          { floats: g.outChannels, zero: true },
          { floats: packedFilterLength(product) },
          { floats: product.batch * product.outHeight * product.outWidth * product.outChannels },
        ];
        return withHeapScratch(memory, scratch, ([zero, packed, patches]) =>
          heapOutput(memory, [g.batch, g.inHeight, g.inWidth, g.inChannels], (dx) => {
            const at = (t: TF.TensorInfo): number => heapOffset(memory, t);
            runInputGradByPatches(team, g, {
              dy: at(dy),
              filter: at(filter),
              dx: at(dx),
              zero: zero!,
              packed: packed!,
              patches: patches!,
            });
          }),
        );
      }
      if (team !== null) {
        const phases = inputGradPhases(g);
        const scratch = [
          { floats: g.outChannels, zero: true },
          ...inputGradPackedLengths(phases).map((floats) => ({ floats })),
        ];
        return withHeapScratch(memory, scratch, ([zero, ...packed]) =>
          heapOutput(memory, [g.batch, g.inHeight, g.inWidth, g.inChannels], (dx) => {
            // a phase that no tap reaches (a filter smaller than the stride) leaves its pixels zero
            if (phases.some((p) => p.conv === null)) memory.typedArrayFromHeap(dx).fill(0);
            const at = (t: TF.TensorInfo): number => heapOffset(memory, t);
            runInputGrad(team, g, phases, { dy: at(dy), filter: at(filter), dx: at(dx), zero: zero!, packed });
          }),
        );
      }
      return tf.tidy(() => {
        if (g.strideHeight === 1 && g.strideWidth === 1) return stride1(tf, memory, g, dy, filter);
        return phases(tf, memory, g, dy, filter);
      });
    },
  };
}

/** dx[i] = sum_k dy[i + padTop - k] * W[k] = sum_k' dyPad[i + k'] * W[kH-1-k']. */
function stride1(
  tf: typeof TF,
  memory: WasmBackendMemory,
  g: ConvGeometry,
  dy: TF.Tensor4D,
  filter: TF.Tensor4D,
): TF.Tensor4D {
  const top = g.filterHeight - 1 - g.padTop;
  const left = g.filterWidth - 1 - g.padLeft;
  const bottom = g.inHeight + g.filterHeight - 1 - g.outHeight - top;
  const right = g.inWidth + g.filterWidth - 1 - g.outWidth - left;
  const all = (size: number): PhaseTaps => ({ first: 0, count: size, offset: 0 });
  const flipped = subFilter(tf, memory, filter, all(g.filterHeight), all(g.filterWidth), 1, 1);
  return convPadded(tf, dy, flipped, top, bottom, left, right);
}

/** A 'valid' stride-1 conv of `x` padded/cropped by the given amounts; non-negative pads go to the conv itself. */
function convPadded(
  tf: typeof TF,
  x: TF.Tensor4D,
  w: TF.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): TF.Tensor4D {
  const cropped = padOrCrop(tf, x, Math.min(0, top), Math.min(0, bottom), Math.min(0, left), Math.min(0, right));
  const pad: [[0, 0], [number, number], [number, number], [0, 0]] = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  const zeroPad = pad[1][0] + pad[1][1] + pad[2][0] + pad[2][1] === 0;
  return tf.conv2d(cropped, w, 1, zeroPad ? 'valid' : pad);
}

/**
 * The sub-filter `[th.count, tw.count, co, ci]` of the taps `first + stride*t` of `filter` `[kh, kw, ci, co]`,
 * in reversed tap order on both spatial axes and with in/out channels swapped.
 */
function subFilter(
  tf: typeof TF,
  memory: WasmBackendMemory,
  filter: TF.Tensor4D,
  th: PhaseTaps,
  tw: PhaseTaps,
  sh: number,
  sw: number,
): TF.Tensor4D {
  const [, kw, ci, co] = filter.shape;
  return heapTensor<TF.Rank.R4>(tf, memory, [th.count, tw.count, co, ci], (out) => {
    const src = memory.typedArrayFromHeap(filter) as Float32Array;
    let o = 0;
    for (let a = 0; a < th.count; a++) {
      const row = th.first + sh * (th.count - 1 - a);
      for (let b = 0; b < tw.count; b++) {
        const base = (row * kw + tw.first + sw * (tw.count - 1 - b)) * ci * co;
        for (let oc = 0; oc < co; oc++) {
          for (let ic = 0; ic < ci; ic++) out[o++] = src[base + ic * co + oc]!;
        }
      }
    }
  });
}

/** Pixel rows of at least this many channels are copied with `TypedArray.set` (a memcpy), shorter ones element by element. */
const SET_MIN = 16;

function phases(
  tf: typeof TF,
  memory: WasmBackendMemory,
  g: ConvGeometry,
  dy: TF.Tensor4D,
  filter: TF.Tensor4D,
): TF.Tensor4D {
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const qh = Math.ceil(g.inHeight / sh); // every phase is computed at the largest phase size
  const qw = Math.ceil(g.inWidth / sw);
  const rowsH = Array.from({ length: sh }, (_, r) => phaseTaps(g.filterHeight, sh, g.padTop, r));
  const rowsW = Array.from({ length: sw }, (_, r) => phaseTaps(g.filterWidth, sw, g.padLeft, r));
  const outs: Array<TF.Tensor4D | null> = []; // phase (rh, rw) at rh * sw + rw; null: no tap, zeros
  for (const th of rowsH) {
    for (const tw of rowsW) {
      if (th.count === 0 || tw.count === 0) {
        outs.push(null);
        continue;
      }
      const sub = subFilter(tf, memory, filter, th, tw, sh, sw);
      // dx_r[q] = sum_t' dy[q + offset + t'] * sub[t'], q in [0, qh): window [offset, qh + offset + count - 1).
      const top = -th.offset;
      const bottom = qh + th.offset + th.count - 1 - g.outHeight;
      const left = -tw.offset;
      const right = qw + tw.offset + tw.count - 1 - g.outWidth;
      outs.push(convPadded(tf, dy, sub, top, bottom, left, right));
    }
  }
  // dx[n, sh*q + rh, sw*p + rw, :] = phase(rh, rw)[n, q, p, :], cropped to the input size.
  const { batch, inHeight, inWidth, inChannels: ci } = g;
  return heapTensor<TF.Rank.R4>(tf, memory, [batch, inHeight, inWidth, ci], (out) => {
    const srcs = outs.map((t) => (t === null ? null : (memory.typedArrayFromHeap(t) as Float32Array)));
    let o = 0;
    for (let n = 0; n < batch; n++) {
      for (let y = 0; y < inHeight; y++) {
        const rh = y % sh;
        const rowBase = (n * qh + (y - rh) / sh) * qw;
        for (let x = 0; x < inWidth; x++) {
          const rw = x % sw;
          const src = srcs[rh * sw + rw] ?? null;
          if (src === null) {
            out.fill(0, o, o + ci);
            o += ci;
            continue;
          }
          let i = (rowBase + (x - rw) / sw) * ci;
          if (ci >= SET_MIN) {
            out.set(src.subarray(i, i + ci), o);
            o += ci;
          } else {
            for (let c = 0; c < ci; c++) out[o++] = src[i++]!;
          }
        }
      }
    }
  });
}
