import type * as TFJS from '@tensorflow/tfjs';
import { rangeError, typeError } from '../../sources/errors.js';

/** The inputs of {@link infoNceNda}: unit-length embeddings (rows), owned by the caller. */
export interface InfoNceNdaInputs {
  /** Query embeddings `q` `[n, d]` (the gradient flows through them). */
  readonly query: TFJS.Tensor2D;
  /** Positive key embeddings `k` `[n, d]`: row i is query i's positive. */
  readonly key: TFJS.Tensor2D;
  /** The queue of negative keys `[K, d]`, shared by every query. */
  readonly queue: TFJS.Tensor2D;
  /**
   * NDA key embeddings `[n * m, d]`: rows `i*m .. i*m+m-1` are the keys of query i's NDA views, extra
   * negatives of query i only.
   * @default undefined (m = 0: plain MoCo)
   */
  readonly ndaKeys?: TFJS.Tensor2D;
  /** Softmax temperature `T` > 0 (MoCo-v2: 0.2). */
  readonly temperature: number;
}

/** What {@link infoNceNda} returns; both tensors are the caller's to dispose. */
export interface InfoNceNdaOutput {
  /** The mean InfoNCE loss over the queries. */
  readonly loss: TFJS.Scalar;
  /** The logits `[n, 1 + K + m]`: column 0 the positive, then the queue, then the query's own NDA keys. */
  readonly logits: TFJS.Tensor2D;
}

const ACTION = 'compute the InfoNCE loss';

/**
 * MoCo's InfoNCE loss with negative data augmentation (Sinha et al. 2021, section 4): the logits of
 * query i are `[q_i.k_i, q_i.queue_1, ..., q_i.queue_K, q_i.knda_{i,1}, ..., q_i.knda_{i,m}] / T`, and
 * the loss is the mean over i of the cross-entropy with target 0,
 * `logsumexp(logits_i) - logits_i[0]`. The NDA keys of query i enter only query i's denominator (a
 * per-row dot product, not a matrix product across queries); with no NDA keys it is plain MoCo.
 * Inputs are not normalised here (MoCo feeds unit vectors). Runs in `tf.tidy`: only the two outputs
 * survive.
 *
 * @throws RangeError/TypeError for mismatched shapes or a bad temperature.
 */
export function infoNceNda(tf: typeof TFJS, inputs: InfoNceNdaInputs): InfoNceNdaOutput {
  const { query, key, queue, ndaKeys, temperature } = inputs;
  if (typeof temperature !== 'number' || Number.isNaN(temperature))
    throw typeError(ACTION, 'temperature must be a number', temperature);
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw rangeError(ACTION, 'temperature must be finite and > 0', temperature);
  const [n, d] = query.shape;
  const shapes = `query ${JSON.stringify(query.shape)}, key ${JSON.stringify(key.shape)}, queue ${JSON.stringify(queue.shape)}`;
  if (
    query.rank !== 2 ||
    key.rank !== 2 ||
    queue.rank !== 2 ||
    key.shape[0] !== n ||
    key.shape[1] !== d ||
    queue.shape[1] !== d
  ) {
    throw rangeError(ACTION, 'query and key must be [n, d] and queue [K, d]', shapes);
  }
  let m = 0;
  if (ndaKeys !== undefined) {
    if (ndaKeys.rank !== 2 || ndaKeys.shape[1] !== d || n === 0 || ndaKeys.shape[0] % n !== 0) {
      throw rangeError(ACTION, `ndaKeys must be [n * m, ${d}] with n = ${n}`, ndaKeys.shape);
    }
    m = ndaKeys.shape[0] / n;
  }
  return tf.tidy(() => {
    const positive = tf.sum<TFJS.Tensor2D>(tf.mul(query, key), 1, true);
    const negatives = tf.matMul<TFJS.Tensor2D>(query, queue, false, true);
    const parts: TFJS.Tensor2D[] = [positive, negatives];
    if (ndaKeys !== undefined && m > 0) {
      const own = tf.reshape(ndaKeys, [n, m, d]);
      parts.push(tf.sum<TFJS.Tensor2D>(tf.mul(tf.expandDims(query, 1), own), 2));
    }
    const logits = tf.div<TFJS.Tensor2D>(tf.concat(parts, 1), temperature);
    const positives = tf.slice(logits, [0, 0], [n, 1]);
    const loss = tf.mean<TFJS.Scalar>(tf.sub(tf.logSumExp(logits, 1, true), positives));
    return { loss, logits };
  });
}
