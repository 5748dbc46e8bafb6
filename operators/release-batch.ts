import { releaseBlock } from './internal/batch-slots.js';

/**
 * Hands a batch's image memory back to the loader that made it, once you are done with its pixels
 * (they are copied into a tensor, sent to a GPU, written out): the loader then decodes later batches
 * into that memory instead of fresh memory. Opt-in; a batch you keep needs nothing.
 *
 * Why: a loader in which `decode` feeds `batch` directly writes each image straight into its
 * batch's memory (see `createLoader`). Fresh memory for every batch (9.6 MB for 64 RGB 224 px
 * images) costs page faults, and as V8 counts it against the heap, a full garbage collection every
 * few batches; released memory costs neither (measured on 256 px JPEGs -> fused 224 crop + flip ->
 * batch 64: see the README, Results).
 *
 * Safe by construction: the batch's memory is moved to a new owner (its ArrayBuffer is detached),
 * so arrays you took from the batch before become empty (length 0) and never show another batch's
 * pixels; reading `data` of any image field of the released batch throws, naming the field.
 * Memory this loader did not decode into (a batch that was copied, a batch from elsewhere) is left
 * to the garbage collector, with the same guard. Releasing twice does nothing.
 *
 * @example
 * for await (const b of loader) {
 *   const x = tf.tensor4d(b.jpg.data, b.jpg.shape); // copies
 *   releaseBatch(b);
 *   await trainStep(x);
 * }
 */
export function releaseBatch(batch: object): void {
  for (const [field, value] of Object.entries(batch) as [string, unknown][]) {
    if (typeof value !== 'object' || value === null) continue;
    // a getter: released already (reading it would throw), or not a plain image batch
    const own = Object.getOwnPropertyDescriptor(value, 'data');
    if (own === undefined || own.get !== undefined || !isImageBatch(own.value, value)) continue;
    const data = own.value as Uint8Array | Float32Array;
    Object.defineProperty(value, 'data', {
      get: () => {
        throw new Error(
          `Cannot read the pixels of field ${JSON.stringify(field)} as its batch was released (releaseBatch): copy what you need before releasing`,
        );
      },
      enumerable: own.enumerable,
      configurable: true,
    });
    releaseBlock(data);
  }
}

function isImageBatch(data: unknown, value: object): boolean {
  const shape = (value as { shape?: unknown }).shape;
  return (data instanceof Uint8Array || data instanceof Float32Array) && Array.isArray(shape) && shape.length === 4;
}
