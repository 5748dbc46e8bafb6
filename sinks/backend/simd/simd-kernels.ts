import { simdKernelsWasmBase64 } from './simd-kernels-wasm.js';

/** `filter-grad.c`'s function. */
export const FILTER_GRAD = 'filter_grad';
/** `conv2d.c`'s convolution. */
export const CONV2D = 'conv2d';
/** `conv2d.c`'s filter packing. */
export const PACK_FILTER = 'pack_filter';
/** `conv2d-narrow.c`'s convolution for 1 to 3 output channels. */
export const CONV2D_NARROW = 'conv2d_narrow';
/** `conv2d-narrow.c`'s packing for {@link CONV2D_NARROW}. */
export const PACK_FILTER_NARROW = 'pack_filter_narrow';
/** `conv2d.c`'s packing of a transposed convolution's phase filter. */
export const PACK_FILTER_FLIPPED = 'pack_filter_flipped';
/** `upsample.c`'s nearest-neighbour upsampling. */
export const UPSAMPLE_NEAREST = 'upsample_nearest';
/** `batch-norm.c`'s batch normalisation with given moments. */
export const BATCH_NORM = 'batch_norm';
/** `batch-norm-train.c`'s per-channel mean and variance of a batch. */
export const BN_MOMENTS = 'bn_moments';
/** `batch-norm-train.c`'s per-channel sums of a batch normalisation's gradient. */
export const BN_GRAD_SUMS = 'bn_grad_sums';
/** `batch-norm-train.c`'s input gradient of a batch normalisation in training. */
export const BN_GRAD_INPUT = 'bn_grad_input';
/** `tanh.c`'s hyperbolic tangent. */
export const TANH = 'tanh_f32';
/** `leaky-relu.c`'s leaky ReLU. */
export const LEAKY_RELU = 'leaky_relu';
/** `leaky-relu.c`'s gradient of a leaky ReLU (or, with alpha 0, of a ReLU). */
export const LEAKY_RELU_GRAD = 'leaky_relu_grad';
/** `adam.c`'s fused Adam update. */
export const ADAM = 'adam';
/** `overlap-add.c`'s sum of a transposed convolution's patches into its output. */
export const OVERLAP_ADD = 'overlap_add';
/** Every function of the module. */
export const SIMD_FUNCTIONS: readonly string[] = [
  FILTER_GRAD,
  CONV2D,
  PACK_FILTER,
  PACK_FILTER_FLIPPED,
  CONV2D_NARROW,
  PACK_FILTER_NARROW,
  UPSAMPLE_NEAREST,
  BATCH_NORM,
  BN_MOMENTS,
  BN_GRAD_SUMS,
  BN_GRAD_INPUT,
  TANH,
  LEAKY_RELU,
  LEAKY_RELU_GRAD,
  ADAM,
  OVERLAP_ADD,
];

/** Compiles the embedded module of `sinks/backend/simd/*.c` (synchronously: it is a few KB). */
export function simdKernelsModule(): WebAssembly.Module {
  return new WebAssembly.Module(Buffer.from(simdKernelsWasmBase64, 'base64'));
}
