import { rangeError, typeError } from '../../sources/errors.js';

const ACTION = 'compute an AUROC';

/**
 * The area under the ROC curve of a scorer, exactly: the probability that a random positive scores
 * higher than a random negative, ties counting 1/2 (the Mann-Whitney U statistic divided by
 * `positives * negatives`). Computed from average ranks after one sort: O(n log n) time, O(n) memory.
 * 1 means every positive outscores every negative, 0 the reverse, 0.5 chance (or all scores equal).
 *
 * Use it to report an anomaly detector: scores are the discriminator's logits (higher = more
 * in-distribution), labels 1 for in-distribution images and 0 for out-of-distribution ones.
 *
 * @param scores One score per item; `±Infinity` are allowed (they rank first/last).
 * @param labels One label per item: 1 (or `true`) = positive, 0 (or `false`) = negative.
 * @throws TypeError when the arguments are not array-likes or a label is not 0/1/boolean;
 *   RangeError when the lengths differ, a score is NaN, or there is no positive or no negative.
 * @example
 * auroc([0.9, 0.8, 0.1], [1, 0, 0]); // 1
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  if (!isArrayLike(scores)) throw typeError(ACTION, 'scores must be an array of numbers', typeof scores);
  if (!isArrayLike(labels)) throw typeError(ACTION, 'labels must be an array of 0/1', typeof labels);
  const n = scores.length;
  if (labels.length !== n) throw rangeError(ACTION, `labels must have one value per score (${n})`, labels.length);
  const positive = new Uint8Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (typeof s !== 'number') throw typeError(ACTION, `scores must be numbers (score ${i})`, s);
    if (Number.isNaN(s)) throw rangeError(ACTION, `scores must not be NaN (score ${i})`, s);
    const l = labels[i];
    if (l === 1 || l === true) {
      positive[i] = 1;
      positives++;
    } else if (l !== 0 && l !== false) {
      throw typeError(ACTION, `labels must be 0 or 1 (label ${i})`, l);
    }
  }
  const negatives = n - positives;
  if (positives === 0)
    throw rangeError(ACTION, 'there must be at least one positive (label 1)', `${n} item(s), 0 positive`);
  if (negatives === 0)
    throw rangeError(ACTION, 'there must be at least one negative (label 0)', `${n} item(s), 0 negative`);

  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    const x = scores[a] as number;
    const y = scores[b] as number;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  // sum of the positives' ranks (1-based), ties sharing their average rank
  let rankSum = 0;
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    let pos = 0;
    for (let k = start; k < end; k++) pos += positive[order[k]!]!;
    rankSum += pos * ((start + 1 + end) / 2);
    start = end;
  }
  const u = rankSum - (positives * (positives + 1)) / 2;
  return u / (positives * negatives);
}

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return (
    (Array.isArray(value) || ArrayBuffer.isView(value)) && typeof (value as { length?: unknown }).length === 'number'
  );
}
