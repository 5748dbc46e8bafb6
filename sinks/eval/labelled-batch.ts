import type { ImageBatch } from '../../sources/sample.js';

/**
 * One batch a classifier trains or is evaluated on: images (`uint8` `[n, 28|32, 28|32, 1]` as the
 * loader's `batch` stacks them, or float32 already in [-1, 1]) and their class indices.
 */
export interface LabelledBatch {
  readonly images: ImageBatch;
  /** `n` class indices in [0, classes - 1]. */
  readonly labels: Int32Array;
}
