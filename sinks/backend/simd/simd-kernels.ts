import { simdKernelsWasmBase64 } from './simd-kernels-wasm.js';

/** `filter-grad.c`'s function. */
export const FILTER_GRAD = 'filter_grad';
/** `conv2d.c`'s convolution. */
export const CONV2D = 'conv2d';
/** `conv2d.c`'s filter packing. */
export const PACK_FILTER = 'pack_filter';
/** Every function of the module. */
export const SIMD_FUNCTIONS: readonly string[] = [FILTER_GRAD, CONV2D, PACK_FILTER];

/** Compiles the embedded module of `sinks/backend/simd/*.c` (synchronously: it is a few KB). */
export function simdKernelsModule(): WebAssembly.Module {
  return new WebAssembly.Module(Buffer.from(simdKernelsWasmBase64, 'base64'));
}
