import type * as TF from '@tensorflow/tfjs-core';

/**
 * For a reduction of `x` over `axis`: the `[rows, cols]` view when the reduced axes are exactly the
 * leading ones `0..k-1` (with `0 < k < rank`), so that the reduction is a column sum of a row-major
 * `[rows, cols]` matrix; `null` otherwise.
 */
export function leadingAxes(
  tf: typeof TF,
  shape: readonly number[],
  axis: number | number[],
): { rows: number; cols: number; k: number } | null {
  const axes = [...new Set(tf.util.parseAxisParam(axis, [...shape]))].sort((p, q) => p - q);
  const k = axes.length;
  if (k === 0 || k >= shape.length || axes[k - 1] !== k - 1) return null;
  const rows = tf.util.sizeFromShape(shape.slice(0, k));
  const cols = tf.util.sizeFromShape(shape.slice(k));
  return rows > 1 && cols > 0 ? { rows, cols, k } : null;
}

/**
 * `mean(x, 0..k-1)` (`scale` 1) or `sum(x, 0..k-1)` (`scale` = rows) of a float32 tensor, shaped as the
 * reduction is: the `[rows, cols]` view goes to wasm's average pooling (XNNPACK) as a `[1, rows/w, w, cols]`
 * image with a window of the whole image. A matmul with a row of ones would be slower: XNNPACK repacks
 * the `[rows, cols]` operand as weights on every call.
 */
export function columnMeans(
  tf: typeof TF,
  x: TF.Tensor,
  view: { rows: number; cols: number; k: number },
  keepDims: boolean,
  scale: number,
): TF.Tensor {
  const w = x.shape[view.k - 1]!;
  const h = view.rows / w;
  const pooled = tf.avgPool(tf.reshape<TF.Rank.R4>(x, [1, h, w, view.cols]), [h, w], 1, 'valid');
  const scaled = scale === 1 ? pooled : tf.mul(pooled, scale);
  const rest = x.shape.slice(view.k);
  return tf.reshape(scaled, keepDims ? [...x.shape.slice(0, view.k).map(() => 1), ...rest] : rest);
}
