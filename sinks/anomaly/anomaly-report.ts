import type * as TFJS from '@tensorflow/tfjs';
import { typeError, isArray } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import { auroc } from './auroc.js';
import type { OodSet } from './ood-sets.js';
import { scoreImages } from './score-images.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const SCORE_OOD_SETS_KEYS = optionKeys<ScoreOodSetsOptions>({ batchSize: true });

/** One row of an anomaly report: how well the scores separate the in-distribution images from one set. */
export interface AnomalyRow {
  /** The OOD set's name (`nda/jigsaw`, `corruption/contrast`, ...; `mean` for the mean row; `one-class` for the protocol's row). */
  readonly set: string;
  /** AUROC, in-distribution = positive (1: every in-distribution image scores above every OOD one). */
  readonly auroc: number;
  /** OOD images scored (the mean row: their total). */
  readonly n: number;
  /** In-distribution images scored. */
  readonly nIn: number;
}

/** Options of {@link scoreOodSets}. */
export interface ScoreOodSetsOptions {
  /** Images per forward pass (`scoreImages`). @default 256 */
  readonly batchSize?: number;
}

/**
 * Scores in-distribution test images and each OOD set (from `buildOodSets`) with a trained
 * discriminator (`scoreImages`: the logit, higher = more in-distribution) and reports one row per set,
 * `{set, auroc, n, nIn}` with the in-distribution images as positives, then a `mean` row (the
 * unweighted mean of the sets' AUROCs; `n` their total). `inDist` may be the images or their scores
 * already computed (then they are not scored again). Tensors are released as in `scoreImages`.
 * Deterministic.
 *
 * @throws TypeError when `oodSets` is not an array of `{name, images}` or `inDist` neither images nor
 *   scores; `scoreImages`' and `auroc`'s errors (e.g. an empty set).
 * @example
 * const rows = await scoreOodSets(tf, models.discriminator, normalTest, buildOodSets(normalTest));
 */
export async function scoreOodSets(
  tf: typeof TFJS,
  discriminator: TFJS.LayersModel,
  inDist: ImageBatch | Float32Array,
  oodSets: readonly OodSet[],
  options: ScoreOodSetsOptions = {},
): Promise<AnomalyRow[]> {
  checkOptionKeys('scoreOodSets', options, SCORE_OOD_SETS_KEYS);
  const action = 'score the OOD sets';
  if (!isArray(oodSets) || !oodSets.every((s) => typeof s?.name === 'string' && typeof s.images === 'object')) {
    throw typeError(
      action,
      'oodSets must be an array of {name, images}',
      Array.isArray(oodSets) ? 'an array with a bad set' : typeof oodSets,
    );
  }
  const inScores =
    inDist instanceof Float32Array ? inDist : (await scoreImages(tf, discriminator, inDist, options)).scores;
  const rows: AnomalyRow[] = [];
  for (const set of oodSets) {
    const { scores } = await scoreImages(tf, discriminator, set.images, options);
    const all = new Float32Array(inScores.length + scores.length);
    all.set(inScores, 0);
    all.set(scores, inScores.length);
    const labels = new Uint8Array(all.length);
    labels.fill(1, 0, inScores.length);
    rows.push({ set: set.name, auroc: auroc(all, labels), n: scores.length, nIn: inScores.length });
  }
  if (rows.length > 0) {
    rows.push({
      set: 'mean',
      auroc: rows.reduce((s, r) => s + r.auroc, 0) / rows.length,
      n: rows.reduce((s, r) => s + r.n, 0),
      nIn: inScores.length,
    });
  }
  return rows;
}
