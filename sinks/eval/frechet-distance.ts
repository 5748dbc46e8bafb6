import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { FeatureMatrix } from './feature-matrix.js';
import { checkFeaturePair } from './internal/check-features.js';

/**
 * The Frechet distance between Gaussians fitted to two sets of feature vectors (FID's formula, here on
 * the in-domain classifier's features rather than Inception's):
 * `||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2})`, with the sample means and the unbiased (n - 1)
 * covariances, in float64. `Tr((S1 S2)^{1/2})` is computed as `Tr((S1^{1/2} S2 S1^{1/2})^{1/2})` (the
 * same eigenvalues, but a symmetric positive semi-definite matrix), from two symmetric
 * eigendecompositions (`ml-matrix`); eigenvalues rounded below 0 count as 0. So the result is symmetric
 * in its arguments up to rounding, 0 for identical sets, and never NaN; tiny negative results of
 * rounding are clamped to 0. Deterministic; no tensors.
 *
 * @example
 * frechetDistance({ data: realFeats, shape: [10000, 128] }, { data: fakeFeats, shape: [10000, 128] });
 * @throws TypeError/RangeError when a matrix is not `[n, d]` of finite values with n >= 2, or the widths differ.
 */
export function frechetDistance(featsA: FeatureMatrix, featsB: FeatureMatrix): number {
  const d = checkFeaturePair('compute a Frechet distance', featsA, featsB, 2);
  const a = moments(featsA, d);
  const b = moments(featsB, d);
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (a.mean[j]! - b.mean[j]!) ** 2;
  const sqrtA = symmetricSqrt(a.cov);
  const m = sqrtA.mmul(b.cov).mmul(sqrtA);
  let traceSqrt = 0;
  for (const l of new EigenvalueDecomposition(symmetrise(m), { assumeSymmetric: true }).realEigenvalues)
    traceSqrt += Math.sqrt(Math.max(l, 0));
  const fd = meanTerm + a.cov.trace() + b.cov.trace() - 2 * traceSqrt;
  return Math.max(fd, 0);
}

/** Mean and unbiased covariance of the rows. */
function moments(f: FeatureMatrix, d: number): { mean: Float64Array; cov: Matrix } {
  const n = f.shape[0];
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += f.data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const acc = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = f.data[i * d + j]! - mean[j]!;
    for (let j = 0; j < d; j++) {
      const rj = row[j]!;
      if (rj === 0) continue;
      const o = j * d;
      for (let k = j; k < d; k++) acc[o + k]! += rj * row[k]!;
    }
  }
  const cov = new Matrix(d, d);
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) {
      const v = acc[j * d + k]! / (n - 1);
      cov.set(j, k, v);
      cov.set(k, j, v);
    }
  }
  return { mean, cov };
}

/** (M + M^T) / 2, to remove rounding asymmetry before a symmetric eigendecomposition. */
function symmetrise(m: Matrix): Matrix {
  return m.add(m.transpose()).mul(0.5);
}

/** The symmetric PSD square root V diag(sqrt(max(l, 0))) V^T. */
function symmetricSqrt(s: Matrix): Matrix {
  const evd = new EigenvalueDecomposition(s, { assumeSymmetric: true });
  const v = evd.eigenvectorMatrix;
  const scaled = v.clone();
  evd.realEigenvalues.forEach((l, j) => scaled.mulColumn(j, Math.sqrt(Math.max(l, 0))));
  return symmetrise(scaled.mmul(v.transpose()));
}
