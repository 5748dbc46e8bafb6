import type * as TFJS from '@tensorflow/tfjs';
import { rangeError } from '../../sources/errors.js';
import type { GanModels } from './hinge-nda-step.js';

/** The wasm backend's heap stops here (4 GiB, wasm32). */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/** The share of the heap a training step may be estimated to need before it is refused. */
const USABLE = 0.9;

/**
 * Heap bytes (high-water mark of the wasm memory after one NDA-GAN step) per byte of the layer outputs of
 * one discriminator update (`3n` images through D, `n` through G). Measured on BigGAN-32, batch 64 at
 * ch 16 and 32 and batch 32 at ch 64 (2026-12-06): 2.34, 2.30 and 2.47; ch 64 at batch 64 (about 2.5 x
 * 2.1 GB) passed 4 GiB and hung.
 */
const HEAP_PER_OUTPUT_BYTE = 2.5;

/** Bytes per parameter: the weights, Adam's two moments and the gradient, float32. */
const BYTES_PER_PARAMETER = 16;

/**
 * The estimated wasm heap a training step of `models` at `batch` images needs: the layer outputs of one
 * discriminator update (on `[real, G(z), negative]`, 3 x `batch` images, and G's forward of `batch`)
 * times 2.5 (the heap measured per byte of them on BigGAN-32), plus 16 bytes per parameter.
 */
export function estimateGanStepHeapBytes(models: GanModels, batch: number): number {
  const { perImage, fixed } = heapTerms(models);
  return fixed + perImage * batch;
}

/** The two terms of {@link estimateGanStepHeapBytes}: bytes per image of the batch, and the batch-free part. */
function heapTerms(models: GanModels): { readonly perImage: number; readonly fixed: number } {
  const outputs = 3 * outputElements(models.discriminator) + outputElements(models.generator);
  const params = models.generator.countParams() + models.discriminator.countParams();
  return { perImage: HEAP_PER_OUTPUT_BYTE * 4 * outputs, fixed: BYTES_PER_PARAMETER * params };
}

/**
 * On the wasm backend, refuses a batch whose training step is estimated ({@link estimateGanStepHeapBytes})
 * to need more than 90 % of the 4 GiB heap: past it, a kernel's out-of-bounds trap in one of the backend's
 * worker threads leaves the main thread waiting for ever (BigGAN-32 at the paper's ch 64 and batch 64
 * stopped that way in its first step), so the run must fail before it starts. Does nothing on other
 * backends.
 *
 * @param action what was being done, for the message (`run cifar10-gan`).
 * @throws RangeError naming the estimate, the largest batch that fits and the ways out.
 */
export function checkGanStepFitsWasmHeap(tf: typeof TFJS, models: GanModels, batch: number, action: string): void {
  if (tf.getBackend() !== 'wasm') return;
  const { perImage, fixed } = heapTerms(models);
  const need = fixed + perImage * batch;
  const limit = USABLE * WASM_HEAP_BYTES;
  if (need <= limit) return;
  const most = Math.max(0, Math.floor((limit - fixed) / perImage));
  const gb = (bytes: number) => (bytes / 1e9).toFixed(1);
  throw rangeError(
    action,
    `a training step at this batch size needs an estimated ${gb(need)} GB of the wasm backend's heap, which ` +
      `stops at ${gb(WASM_HEAP_BYTES)} GB (a step past it hangs): use a batch size of at most ${most}, ` +
      `a smaller width (ch), or the tensorflow or tensorflow-gpu backend (tfjs-node)`,
    batch,
  );
}

/** Elements of every layer's output for one sample (the batch axis left out). */
function outputElements(model: TFJS.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    const shape = layer.outputShape;
    const shapes = (Array.isArray(shape[0]) ? shape : [shape]) as Array<Array<number | null>>;
    for (const s of shapes) total += s.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1);
  }
  return total;
}
