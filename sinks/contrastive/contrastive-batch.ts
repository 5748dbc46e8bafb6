import type { ImageBatch } from '../../sources/sample.js';
import type { ClipBatch } from '../../sources/video/video-clip.js';

/**
 * One training batch of {@link trainMoco}: a query view and a key view of each of n samples, and
 * optionally m NDA views of each query. Pixels are uint8 0..255 (scaled to [-1, 1] inside the sink) or
 * float32 (used as they are).
 */
export interface ContrastiveBatch {
  /** The query views: images `[n, h, w, c]` or clips `[n, t, h, w, c]`. */
  readonly query: ImageBatch | ClipBatch;
  /** The key (positive) views, the same shape as `query`. */
  readonly key: ImageBatch | ClipBatch;
  /**
   * The NDA views `[n * m, ...]` (the query's per-sample shape): rows `i*m .. i*m+m-1` are query i's
   * NDA views, extra negatives of query i only.
   * @default undefined (plain MoCo)
   */
  readonly nda?: ImageBatch | ClipBatch;
}
