export { selectBackend, BACKEND_ORDER } from './select-backend.js';
export type { BackendName, SelectBackendOptions, SelectedBackend, BackendAttempt } from './select-backend.js';
export { registerThreadedWasm, MAX_WASM_THREADS } from './wasm-threads.js';
export type { WasmBackendModule } from './wasm-threads.js';
export { registerWasmKernels } from './register-wasm-kernels.js';
export { conv2dBackpropFilterKernel } from './kernels/conv2d-backprop-filter.js';
export { conv2dBackpropInputKernel } from './kernels/conv2d-backprop-input.js';
