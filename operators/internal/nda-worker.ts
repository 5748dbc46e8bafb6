/**
 * The module every `ndaPairs` pool thread runs (Piscina's `filename`). A task is one batch's
 * pixels (a buffer moved here, not copied), the transform's registry name and options, and the
 * context; the thread rebuilds the transform from the registry once per (name, options), applies
 * it, and moves the negatives (and partner indices) back, with the task's own buffer (for reuse:
 * allocating a fresh multi-megabyte buffer per batch costs more than the transfer). Errors are answered, not thrown, so the
 * main side can settle the batch through its handler.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { ImageBatch } from '../../sources/sample.js';
import type { NdaTransform } from './nda-transform.js';
import { createNdaTransform } from './nda-transforms.js';
import { transferablesOf } from './transfer-list.js';
import type { WorkerFailure } from './worker-entry.js';

/** One batch to transform. */
export interface NdaTask {
  /** Registry name of the transform. */
  readonly name: string;
  /** Its resolved options (plain JSON). */
  readonly options: unknown;
  /** The batch's pixels: a fresh buffer of their own, moved to the thread. */
  readonly data: Uint8Array | Float32Array;
  readonly shape: ImageBatch['shape'];
  readonly seed: number;
  readonly epoch: number;
  readonly keys: readonly string[];
}

/** The answer to one task. */
export type NdaAnswer =
  | {
      readonly kind: 'ok';
      readonly data: Uint8Array | Float32Array;
      readonly shape: ImageBatch['shape'];
      readonly partners: Int32Array | null;
      /** The task's pixel buffer, moved back so the main side can reuse it for the next batch. */
      readonly input: Uint8Array | Float32Array;
    }
  | { readonly kind: 'error'; readonly error: WorkerFailure; readonly input: Uint8Array | Float32Array };

const transforms = new Map<string, NdaTransform>();

function transformFor(name: string, options: unknown): NdaTransform {
  const id = `${name}\u0000${JSON.stringify(options)}`;
  let t = transforms.get(id);
  if (t === undefined) {
    t = createNdaTransform(name, options ?? {});
    transforms.set(id, t);
  }
  return t;
}

/** Applies the task's transform (called by Piscina). */
export default function runNdaTask(task: NdaTask): unknown {
  let answer: NdaAnswer;
  try {
    const result = transformFor(task.name, task.options).apply(
      { data: task.data, shape: task.shape },
      { seed: task.seed, epoch: task.epoch, keys: task.keys },
    );
    answer = {
      kind: 'ok',
      data: result.images.data,
      shape: result.images.shape,
      partners: result.partners,
      input: task.data,
    };
  } catch (error) {
    answer = {
      kind: 'error',
      error:
        error instanceof Error
          ? { name: error.name, message: error.message, stack: error.stack }
          : { name: 'Error', message: String(error) },
      input: task.data,
    };
  }
  return move({ [transferableSymbol]: transferablesOf(answer), [valueSymbol]: answer });
}
