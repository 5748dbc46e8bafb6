import type * as TF from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry.js';
import type { ConvGeometry } from './conv-geometry.js';
import { heapOutput, heapTensor, withHeapScratch } from './heap-tensor.js';
import { transposeInto } from './transpose.js';
import { heapOffset, type WasmBackendMemory } from './wasm-backend-memory.js';
import { simdTeamOf } from '../simd/backend-simd-team.js';
import { filterGradScratchLength, runFilterGrad, simdFilterGradFits } from '../simd/filter-grad.js';
import { split } from '../simd/team-arguments.js';

/**
 * The reduction length (`outHeight * outWidth * images`) of one chunk's convolution. XNNPACK's GEMM does
 * not block its reduction axis, so a longer one streams its operands from memory for every output tile:
 * the same product as a plain matmul over 196,608 ran at 21 GMAC/s, in 16,384-long pieces at 31. Shorter
 * chunks pay a convolution call and operator set-up each: on a BigGAN 32x32 layer's gradient over 192
 * images (fresh inputs each call) 65,536-long chunks took 506 ms, 16,384-long ones 523, one chunk 558.
 */
export const FILTER_GRAD_CHUNK = 65_536;

/** Below this many rows (`ci * kh * kw`: 27 for a 3x3 filter on RGB) the gradient is not chunked (128 ms for 192 32x32 images in one chunk, 145 in three). */
const FEW_ROWS = 64;

/** Options of {@link conv2dBackpropFilterKernel}. */
export interface Conv2dBackpropFilterOptions {
  /** The largest reduction length of one chunk's convolution on the XNNPACK path. @default FILTER_GRAD_CHUNK */
  readonly chunk?: number;
  /** Use the project's SIMD kernel (`sinks/backend/simd/filter-grad.c`) where it fits. @default true */
  readonly simd?: boolean;
}

/**
 * A `Conv2DBackpropFilter` kernel for the wasm backend (which has none, so `tf.grad` of a convolution's
 * filter fails there).
 *
 * On the threaded wasm build, with a multiple of 4 output channels or 1 to 3 (an RGB layer's), the gradient
 * is the project's own SIMD kernel,
 * run on the heap in place by as many threads as the backend's pool (see `simd/filter-grad.c` and
 * `simd/simd-team.ts`): XNNPACK packs its filter operand, here `dy`, before every call (6-11 ns an element)
 * and streams the whole reduction for every output tile.
 *
 * Otherwise (`{ simd: false }`, the single-threaded build) it is built from a convolution. The filter gradient `dW[kh,kw,ci,co] = sum_{b,oh,ow} xpad[b, oh*sh+kh, ow*sw+kw, ci] * dy[b,oh,ow,co]`
 * is one convolution: the padded input laid out as `[ci, H, W, b]` (channels become the batch) is
 * convolved, stride 1 and dilation = the forward stride, with `dy` laid out as `[oh, ow, b, co]` as the
 * filter, giving `[ci, kh, kw, co]`, transposed to `[kh, kw, ci, co]`. The images are taken in chunks (see
 * {@link filterGradChunks}) whose results are summed. Both layouts are written by one JS pass each on the
 * wasm heap (padding included).
 *
 * NHWC only (throws a `TypeError` for NCHW); every intermediate tensor is disposed, the returned tensor
 * is owned by the engine like any kernel output.
 *
 * @param tf the loaded `@tensorflow/tfjs-core` module (passed in so that importing this file loads nothing).
 * @param options the XNNPACK path's chunk length; whether to use the SIMD kernel.
 * @returns the `KernelConfig` to give to `tf.registerKernel`.
 */
export function conv2dBackpropFilterKernel(tf: typeof TF, options: Conv2dBackpropFilterOptions = {}): TF.KernelConfig {
  const { chunk = FILTER_GRAD_CHUNK, simd = true } = options;
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy } = inputs as unknown as { x: TF.Tensor4D; dy: TF.Tensor4D };
      const a = attrs as unknown as TF.Conv2DBackpropFilterAttrs;
      const g = convGeometry(tf, tf.Conv2DBackpropFilter, x.shape, a.filterShape, a);
      const memory = backend as unknown as WasmBackendMemory;
      const team = simd && simdFilterGradFits(g) ? simdTeamOf(backend) : null;
      if (team !== null) {
        const floats = filterGradScratchLength(g, team.threads);
        return withHeapScratch(memory, [{ floats, zero: true }], ([scratch]) =>
          heapOutput(memory, [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels], (dw) => {
            memory.typedArrayFromHeap(dw).fill(0); // the kernel adds to it
            runFilterGrad(team, g, heapOffset(memory, x), heapOffset(memory, dy), heapOffset(memory, dw), scratch!);
          }),
        );
      }
      return tf.tidy(() => {
        let sum: TF.Tensor4D | null = null; // [ci, kh, kw, co]
        // a gradient of few rows (`ci * kh * kw`) streams its operands once per row tile anyway: chunks only add passes
        const rows = g.inChannels * g.filterHeight * g.filterWidth;
        const most = rows < FEW_ROWS ? Infinity : chunk;
        for (const [first, count] of filterGradChunks(g.batch, g.outHeight * g.outWidth, most)) {
          const xT = paddedChannelsFirst(tf, memory, g, x, first, count);
          const dyT = pixelsFirst(tf, memory, g, dy, first, count);
          const part = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [g.strideHeight, g.strideWidth]);
          tf.dispose([xT, dyT]);
          if (sum === null) sum = part;
          else {
            const next: TF.Tensor4D = tf.add(sum, part);
            tf.dispose([sum, part]);
            sum = next;
          }
        }
        return tf.transpose(sum!, [1, 2, 0, 3]);
      });
    },
  };
}

/**
 * `[first, count]` image ranges that split `batch` images into as few chunks as keep
 * `pixels * count <= chunk` (at least one image each), of sizes that differ by at most one; one chunk of
 * all the images for an infinite `chunk`.
 */
export function filterGradChunks(batch: number, pixels: number, chunk: number): Array<[number, number]> {
  const most = Math.max(1, Math.floor(chunk / Math.max(1, pixels)));
  const n = Math.max(1, Math.ceil(batch / most));
  return split(batch, 1, n).map(([first, end]) => [first, end - first]);
}

/**
 * Images `[first, first + count)` of `x` `[b, H, W, ci]`, padded (or cropped) to the window the forward
 * pass read, as `[ci, needH, needW, count]`.
 */
function paddedChannelsFirst(
  tf: typeof TF,
  memory: WasmBackendMemory,
  g: ConvGeometry,
  x: TF.TensorInfo,
  first: number,
  count: number,
): TF.Tensor4D {
  const needH = (g.outHeight - 1) * g.strideHeight + g.filterHeight;
  const needW = (g.outWidth - 1) * g.strideWidth + g.filterWidth;
  const { inHeight: h, inWidth: w, inChannels: ci } = g;
  const plane = needH * needW * count; // one channel of the output
  const pixel = h * w * ci; // one image of the input
  return heapTensor<TF.Rank.R4>(tf, memory, [ci, needH, needW, count], (out) => {
    const xs = memory.typedArrayFromHeap(x) as Float32Array; // after the output's allocation, which may grow the heap
    for (let y = 0; y < needH; y++) {
      const sy = y - g.padTop;
      for (let xx = 0; xx < needW; xx++) {
        const sx = xx - g.padLeft;
        const at = (y * needW + xx) * count;
        if (sy < 0 || sy >= h || sx < 0 || sx >= w) {
          for (let c = 0; c < ci; c++) out.fill(0, c * plane + at, c * plane + at + count);
          continue;
        }
        // 16 images at a time, channel by channel: the 16 source pixels stay in cache across the channels
        const base = (sy * w + sx) * ci;
        for (let b0 = 0; b0 < count; b0 += 16) {
          const b1 = Math.min(count, b0 + 16);
          for (let c = 0; c < ci; c++) {
            let d = c * plane + at + b0;
            for (let b = b0, s = base + (first + b0) * pixel + c; b < b1; b++, s += pixel) out[d++] = xs[s]!;
          }
        }
      }
    }
  });
}

/** Images `[first, first + count)` of `dy` `[b, oh, ow, co]` as `[oh, ow, count, co]` (rows of `co` kept whole). */
function pixelsFirst(
  tf: typeof TF,
  memory: WasmBackendMemory,
  g: ConvGeometry,
  dy: TF.TensorInfo,
  first: number,
  count: number,
): TF.Tensor4D {
  const { outHeight: oh, outWidth: ow, outChannels: co } = g;
  const image = oh * ow * co;
  return heapTensor<TF.Rank.R4>(tf, memory, [oh, ow, count, co], (out) => {
    const dys = memory.typedArrayFromHeap(dy).subarray(first * image, (first + count) * image);
    transposeInto(dys, out, [count, oh * ow, co], [1, 0, 2]);
  });
}
