import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import { Random } from '../../sources/random.js';
import { enqueueKeys } from './enqueue-keys.js';
import { infoNceNda } from './info-nce-nda.js';
import type { MocoModels } from './moco-models.js';
import { momentumUpdate } from './momentum-update.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const MOCO_STEP_KEYS = optionKeys<MocoStepOptions>({
  momentum: true,
  temperature: true,
  ndaInQueue: true,
  weightDecay: true,
  shuffleBnGroups: true,
  seed: true,
  step: true,
});

/** The views of one {@link mocoStep}, float tensors owned by the caller. */
export interface MocoStepInputs {
  /** Query views `[n, ...]` (images `[n, h, w, c]` or clips `[n, t, h, w, c]`). */
  readonly query: TFJS.Tensor;
  /** Key views, the shape of `query`. */
  readonly key: TFJS.Tensor;
  /**
   * NDA views `[n * m, ...]`; rows `i*m .. i*m+m-1` belong to query i.
   * @default undefined (plain MoCo)
   */
  readonly nda?: TFJS.Tensor;
}

/** Options of {@link mocoStep}. */
export interface MocoStepOptions {
  /** Momentum `m` of the key networks' update, in [0, 1]. @default 0.99 */
  readonly momentum?: number;
  /** Softmax temperature, > 0. @default 0.2 */
  readonly temperature?: number;
  /** Also enqueue the NDA keys (after the positive keys of the batch). @default false */
  readonly ndaInQueue?: boolean;
  /**
   * L2 weight decay on the query encoder and head's trainable weights, added to the loss as
   * `weightDecay / 2 * sum(w^2)` (the gradient `weightDecay * w` that PyTorch's SGD `weight_decay` adds;
   * not part of the reported loss). A number >= 0.
   * @default 1e-4 (MoCo-v2)
   */
  readonly weightDecay?: number;
  /**
   * Shuffling batch norm on one device (MoCo's "shuffle BN"): the query views are encoded in this many
   * contiguous groups (each its own batch-norm batch), the key and NDA views in as many groups after a
   * seeded permutation (`Random.derive(seed, 'moco-shuffle-bn', step)`), so a query and its positive key
   * never share batch statistics computed over the same samples. 1 turns it off. An integer in [1, n].
   * @default 2
   */
  readonly shuffleBnGroups?: number;
  /** Seed of the permutation. An integer in [0, 2^32 - 1]. @default 0 */
  readonly seed?: number;
  /** The step number (0-based; part of the permutation's seed). An integer >= 0. @default 0 */
  readonly step?: number;
}

/** What {@link mocoStep} measured (before the update). */
export interface MocoStepResult {
  /** The InfoNCE (+NDA) loss, without the weight decay term. */
  readonly loss: number;
  /** Fraction of queries whose positive logit is the largest (the contrastive "accuracy"). */
  readonly positiveTop1: number;
  /** Mean NDA logit (cosine(q_i, knda_ij) / T) over the batch, or null without NDA views. */
  readonly ndaLogitMean: number | null;
}

const ACTION = 'run a MoCo step';

/**
 * One MoCo-v2 (+NDA) training step:
 * 1. keys without gradient: `k = normalize(head_k(enc_k(key)))` and `knda = normalize(head_k(enc_k(nda)))`
 *    (one pass over key and NDA views, shuffled into `shuffleBnGroups` batch-norm groups, training mode);
 * 2. queries `q = normalize(head_q(enc_q(query)))` (training mode) and the loss {@link infoNceNda}
 *    (NDA keys only in their own query's denominator) plus weight decay; one optimizer update of the
 *    query encoder and head;
 * 3. the momentum update of the key encoder and head (`momentumUpdate`);
 * 4. the batch's keys enter the queue (`enqueueKeys`); NDA keys only with `ndaInQueue`.
 * Every intermediate tensor is released: the tensor count is the same after every step (after the
 * first, which creates the optimizer's slots).
 *
 * @throws RangeError/TypeError for a bad option or views whose shapes differ from each other or from
 *   the encoders' input.
 */
export async function mocoStep(
  tf: typeof TFJS,
  models: MocoModels,
  inputs: MocoStepInputs,
  options: MocoStepOptions = {},
): Promise<MocoStepResult> {
  checkOptionKeys('mocoStep', options, MOCO_STEP_KEYS);
  const momentum = checkNumber('momentum', options.momentum ?? 0.99, 0, 1);
  const temperature = checkNumber('temperature', options.temperature ?? 0.2, Number.MIN_VALUE, Infinity);
  const weightDecay = checkNumber('weightDecay', options.weightDecay ?? 1e-4, 0, Infinity);
  const ndaInQueue = options.ndaInQueue ?? false;
  if (typeof ndaInQueue !== 'boolean') throw typeError(ACTION, 'ndaInQueue must be a boolean', ndaInQueue);
  const seed = checkInteger(ACTION, 'seed', options.seed ?? 0, 0, 0xffffffff);
  const step = checkInteger(ACTION, 'step', options.step ?? 0, 0);
  const { query, key, nda } = inputs;
  const n = query.shape[0];
  const perSample = JSON.stringify(query.shape.slice(1));
  if (!sameShape(query.shape, key.shape))
    throw rangeError(
      ACTION,
      `the key views must have the query views' shape ${JSON.stringify(query.shape)}`,
      key.shape,
    );
  if (
    nda !== undefined &&
    (JSON.stringify(nda.shape.slice(1)) !== perSample || nda.shape[0] % n !== 0 || nda.shape[0] === 0)
  ) {
    throw rangeError(
      ACTION,
      `the NDA views must be [n * m, ${query.shape.slice(1).join(', ')}] with n = ${n}`,
      nda.shape,
    );
  }
  const expected = models.queryEncoder.inputs[0]!.shape.slice(1);
  if (JSON.stringify(expected) !== perSample)
    throw rangeError(ACTION, `the views must be [n, ${expected.join(', ')}] as the encoder expects`, query.shape);
  const groups = checkInteger(ACTION, 'shuffleBnGroups', options.shuffleBnGroups ?? 2, 1, n);

  // 1. Keys, no gradient.
  const rows = n + (nda?.shape[0] ?? 0);
  const permutation = Random.derive(seed, 'moco-shuffle-bn', step).shuffle(Array.from({ length: rows }, (_, i) => i));
  const inverse = new Array<number>(rows);
  permutation.forEach((p, i) => (inverse[p] = i));
  const allKeys = tf.tidy(() => {
    const views = nda === undefined ? key : tf.concat([key, nda], 0);
    const shuffled = groups === 1 ? views : tf.gather(views, tf.tensor1d(permutation, 'int32'));
    const embedded = embed(tf, models.keyEncoder, models.keyHead, shuffled, groups);
    return groups === 1 ? embedded : tf.gather<TFJS.Tensor2D>(embedded, tf.tensor1d(inverse, 'int32'));
  });
  const [k, knda] =
    nda === undefined ? [allKeys, undefined] : (tf.split(allKeys, [n, rows - n], 0) as [TFJS.Tensor2D, TFJS.Tensor2D]);

  // 2. Queries and the update.
  const qVars = [...models.queryEncoder.trainableWeights, ...models.queryHead.trainableWeights].map(
    (w) => w.read() as TFJS.Variable,
  );
  const kept: TFJS.Tensor[] = [];
  try {
    const { value, grads } = tf.variableGrads(() => {
      const q = embed(tf, models.queryEncoder, models.queryHead, query, groups);
      const { loss, logits } = infoNceNda(tf, {
        query: q,
        key: k,
        queue: models.queue as TFJS.Tensor2D,
        ...(knda ? { ndaKeys: knda } : {}),
        temperature,
      });
      const top1 = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), 0), 'float32'));
      const ndaMean = knda
        ? tf.mean(tf.slice(logits, [0, logits.shape[1] - knda.shape[0] / n], [n, knda.shape[0] / n]))
        : null;
      kept.push(tf.keep(tf.stack(ndaMean ? [loss, top1, ndaMean] : [loss, top1])));
      if (weightDecay === 0) return loss;
      return tf.add<TFJS.Scalar>(loss, tf.mul(weightDecay / 2, tf.addN(qVars.map((v) => tf.sum(tf.square(v))))));
    }, qVars);
    value.dispose();
    models.optimizer.applyGradients(grads);
    tf.dispose(grads);
    const stats = await kept[0]!.data();

    // 3. Momentum update, 4. queue.
    momentumUpdate(tf, models.queryEncoder, models.keyEncoder, momentum);
    momentumUpdate(tf, models.queryHead, models.keyHead, momentum);
    enqueueKeys(tf, models, k);
    if (ndaInQueue && knda !== undefined) enqueueKeys(tf, models, knda);
    return { loss: stats[0]!, positiveTop1: stats[1]!, ndaLogitMean: stats.length > 2 ? stats[2]! : null };
  } finally {
    tf.dispose(kept);
    tf.dispose([allKeys, k, ...(knda ? [knda] : [])]);
  }
}

/** `normalize(head(encoder(x)))` in training mode, over `groups` contiguous batch-norm groups. */
function embed(
  tf: typeof TFJS,
  encoder: TFJS.LayersModel,
  head: TFJS.LayersModel,
  x: TFJS.Tensor,
  groups: number,
): TFJS.Tensor2D {
  return tf.tidy(() => {
    const n = x.shape[0];
    const sizes = Array.from({ length: groups }, (_, i) => Math.floor(n / groups) + (i < n % groups ? 1 : 0));
    const chunks = groups === 1 ? [x] : tf.split(x, sizes, 0);
    const outs = chunks.map(
      (c) => head.apply(encoder.apply(c, { training: true }), { training: true }) as TFJS.Tensor2D,
    );
    const z = outs.length === 1 ? outs[0]! : tf.concat<TFJS.Tensor2D>(outs, 0);
    return tf.div<TFJS.Tensor2D>(z, tf.maximum(tf.norm(z, 'euclidean', 1, true), 1e-12));
  });
}

function checkNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(ACTION, `${name} must be a number`, value);
  if (value < min || value > max || (max === Infinity && !Number.isFinite(value))) {
    throw rangeError(
      ACTION,
      min === Number.MIN_VALUE
        ? `${name} must be finite and > 0`
        : max === Infinity
          ? `${name} must be finite and >= ${min}`
          : `${name} must be in [${min}, ${max}]`,
      value,
    );
  }
  return value;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
