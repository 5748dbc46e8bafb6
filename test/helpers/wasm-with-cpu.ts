import type * as TFJS from '@tensorflow/tfjs';
import { selectBackend } from '../../sinks/backend/index.js';

/**
 * The wasm backend selected with `threads` threads (the project's kernels registered), `@tensorflow/tfjs`
 * loaded, and the cpu backend beside it (for tests that compare the two): the `tf` module.
 */
export async function wasmWithCpu(threads: number): Promise<typeof TFJS> {
  await selectBackend({ backend: 'wasm', threads });
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-cpu');
  return tf;
}
