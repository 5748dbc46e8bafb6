import type { NdaContext } from '../../operators/internal/nda-transform.js';
import type { ImageBatch } from '../../sources/sample.js';
import type { ClipBatch } from '../../sources/video/video-clip.js';

/** Makes one NDA view of every member of a stacked batch (an image or a video NDA transform's `apply`). */
export type NdaViewMaker = (views: ImageBatch | ClipBatch, context: NdaContext) => ImageBatch | ClipBatch;

/** Where {@link interleavedNdaViews} draws from. */
export interface NdaViewsContext {
  /** Seed of the NDA views; view j of a batch uses `seed + j` (mod 2^32). */
  readonly seed: number;
  /** Training step of the batch (the transforms' `epoch`), so a resumed run makes the same views. */
  readonly step: number;
  /** The members' keys. */
  readonly keys: readonly string[];
  /** NDA views per query (>= 1). */
  readonly perQuery: number;
}

/**
 * `perQuery` NDA views of each of the n queries, interleaved query-major as the contrastive trainer
 * expects: rows i*m .. i*m+m-1 of the result are query i's views. View j of the batch comes from
 * `make` with seed `seed + j`, so views differ from each other and are reproducible.
 */
export function interleavedNdaViews(
  make: NdaViewMaker,
  queries: ImageBatch | ClipBatch,
  context: NdaViewsContext,
): ImageBatch | ClipBatch {
  const m = context.perQuery;
  const n = queries.shape[0];
  const per = queries.data.length / n;
  const views = Array.from({ length: m }, (_, j) =>
    make(queries, { seed: (context.seed + j) >>> 0, epoch: context.step, keys: context.keys }),
  );
  if (m === 1) return views[0] as ImageBatch | ClipBatch;
  const data =
    queries.data instanceof Float32Array
      ? new Float32Array(queries.data.length * m)
      : new Uint8Array(queries.data.length * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++)
      data.set((views[j] as ImageBatch | ClipBatch).data.subarray(i * per, (i + 1) * per), (i * m + j) * per);
  }
  return { data, shape: [n * m, ...queries.shape.slice(1)] } as unknown as ImageBatch | ClipBatch;
}
