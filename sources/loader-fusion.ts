import type { OperatorFunction } from 'rxjs';

/**
 * Stage fusion in a loader: a stage that can write its images straight into the memory of the batch
 * that follows it (`decode`, see `operators/internal/batch-slots.ts`) is given the batch size when
 * it is followed directly by a collating `batch`, as tf.data fuses a map followed by a batch. The
 * items, their order and their accounting are the same as without fusion; only where the pixels
 * are written changes. Stages met anywhere else (a plain RxJS `pipe`, another stage in between) run
 * unfused.
 */

/** Metadata of a stage that can decode into the batch after it. */
export interface FusesIntoBatch {
  /** The same stage, writing the images of consecutive samples into batches of `size`. */
  readonly ndaflowIntoBatch?: (size: number) => OperatorFunction<never, unknown>;
}

/** Metadata of a collating `batch` stage. */
export interface CollatesBatches {
  /** Items per batch. */
  readonly ndaflowBatchSize?: number;
}

/** `stages` with each stage that can decode into the batch after it given that batch's size. */
export function fuseIntoBatches<S extends OperatorFunction<never, unknown>>(stages: readonly S[]): S[] {
  return stages.map((stage, i) => {
    const into = (stage as FusesIntoBatch).ndaflowIntoBatch;
    const size = (stages[i + 1] as CollatesBatches | undefined)?.ndaflowBatchSize;
    return into !== undefined && size !== undefined ? (into(size) as S) : stage;
  });
}
