import { rangeError, typeError } from '../../../sources/errors.js';
import type { FeatureMatrix } from '../feature-matrix.js';

/**
 * Checks two feature matrices of one width and at least `minRows` rows each; returns the width.
 * @throws TypeError/RangeError naming `action`.
 */
export function checkFeaturePair(action: string, a: FeatureMatrix, b: FeatureMatrix, minRows: number): number {
  for (const [name, m] of [
    ['featsA', a],
    ['featsB', b],
  ] as const) {
    const { data, shape } = (m ?? {}) as Partial<FeatureMatrix>;
    if (!(data instanceof Float32Array || data instanceof Float64Array))
      throw typeError(action, `${name}.data must be a Float32Array or Float64Array`, typeof data);
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((s) => Number.isInteger(s) && s > 0))
      throw rangeError(action, `${name}.shape must be [n, d] of positive integers`, shape);
    if (data.length !== shape[0] * shape[1])
      throw rangeError(
        action,
        `${name}.data must hold ${shape[0] * shape[1]} values for shape [${shape.join(', ')}]`,
        data.length,
      );
    if (shape[0] < minRows) throw rangeError(action, `${name} must have at least ${minRows} rows`, shape[0]);
    for (const v of data) if (!Number.isFinite(v)) throw rangeError(action, `every value of ${name} must be finite`, v);
  }
  if (a.shape[1] !== b.shape[1])
    throw rangeError(action, `featsA and featsB must have one width (${a.shape[1]})`, b.shape[1]);
  return a.shape[1];
}
