/**
 * A matrix of feature vectors, one row per image: `data` row-major, `shape` `[n, d]` (e.g. the
 * `[n, 128]` output of the classifier's feature model, read back by `featuresOf`).
 */
export interface FeatureMatrix {
  readonly data: Float32Array | Float64Array;
  readonly shape: readonly [number, number];
}
