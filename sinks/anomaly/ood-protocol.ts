import type * as TFJS from '@tensorflow/tfjs';
import { createNdaTransform } from '../../operators/internal/nda-transforms.js';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import { auroc } from './auroc.js';
import { scoreImages } from './score-images.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const OOD_PROTOCOL_KEYS = optionKeys<OodProtocolOptions>({ nda: true, seed: true, label: true, batchSize: true });

/**
 * The NDA'd test sets of the paper's official OOD evaluation (`train_fns.py`): jigsaw at k = 2, 4, 8
 * and 16 (official tile order), stitch and mixup at lambda 0.5 (official partner draw), uniform noise
 * and constant images.
 */
export const OOD_PROTOCOL_NDA = [
  'jigsaw-2',
  'jigsaw-4',
  'jigsaw-8',
  'jigsaw-16',
  'stitch',
  'mixup',
  'noise',
  'constant',
] as const;

/** One scored set of {@link oodProtocol}. */
export interface OodSetResult {
  /** The set's name: a given OOD set's (`svhn`), or `nda/<name>` for an NDA'd test set. */
  readonly name: string;
  /** Images scored. */
  readonly n: number;
  /** AUROC of D's logit, in-distribution test images positive, this set's images negative. */
  readonly auroc: number;
}

/** What {@link oodProtocol} returns. */
export interface OodProtocolResult {
  /** One row per set, the given OOD sets first, then the NDA'd test sets. */
  readonly sets: readonly OodSetResult[];
  /** The mean AUROC over `sets` (the paper's summary figure). */
  readonly mean: number;
  /** NDA sets left out, with why (e.g. a jigsaw k that does not divide the image side). */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  /** In-distribution images scored. */
  readonly n: number;
}

/** Options of {@link oodProtocol}. */
export interface OodProtocolOptions {
  /**
   * Which NDA'd test sets to add (names of {@link OOD_PROTOCOL_NDA}); `[]` for none.
   * @default all of OOD_PROTOCOL_NDA
   */
  readonly nda?: readonly string[];
  /** Seed of the NDA'd sets' draws. An integer in [0, 2^32 - 1]. @default 0 */
  readonly seed?: number;
  /**
   * The class given to a conditional discriminator (two inputs) with every image: the official
   * evaluation passes class 0 (`y_counter = zeros`). An integer >= 0.
   * @default 0
   */
  readonly label?: number;
  /** Images per forward pass. @default 256 */
  readonly batchSize?: number;
}

const ACTION = 'run the OOD protocol';

/**
 * The paper's out-of-distribution protocol for a trained NDA-GAN discriminator: the score of an image
 * is D's logit (higher = more in-distribution, inference mode); for each OOD set, the AUROC of the
 * in-distribution test images (positives) against that set (negatives), one set at a time, then the
 * mean over the sets. Besides the given sets (SVHN, CIFAR-100, DTD, Places, TinyImageNet, CIFAR-10-C
 * corruptions, ... prepared as shards), the NDA'd versions of the test images ({@link OOD_PROTOCOL_NDA}):
 * each is made from the whole test batch, scored and dropped before the next (one set in memory at a
 * time). Constant images: one per test image, every pixel `round(255 i / (n - 1))` (the official code
 * scores 250 constant images of values 0..249). Images must have the test images' shape (resize
 * before). Deterministic given the seed; every tensor is released.
 *
 * @throws RangeError/TypeError for a bad option, an unknown NDA name, or a set whose image shape is
 *   not the test images'.
 * @example
 * const r = await oodProtocol(tf, models.discriminator, test, [{ name: 'svhn', images: svhn }], { seed: 1 });
 */
export async function oodProtocol(
  tf: typeof TFJS,
  discriminator: TFJS.LayersModel,
  test: ImageBatch,
  oodSets: readonly { readonly name: string; readonly images: ImageBatch }[],
  options: OodProtocolOptions = {},
): Promise<OodProtocolResult> {
  checkOptionKeys('oodProtocol', options, OOD_PROTOCOL_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const nda = options.nda ?? OOD_PROTOCOL_NDA;
  if (!Array.isArray(nda)) throw typeError(ACTION, 'nda must be an array of names', nda);
  for (const name of nda)
    if (!(OOD_PROTOCOL_NDA as readonly string[]).includes(name as string))
      throw rangeError(ACTION, `every nda set must be one of ${OOD_PROTOCOL_NDA.join(', ')}`, name);
  const seed = checkInteger(ACTION, 'seed', options.seed ?? 0, 0, 0xffffffff);
  const label = checkInteger(ACTION, 'label', options.label ?? 0, 0);
  const batchSize = checkInteger(ACTION, 'batchSize', options.batchSize ?? 256, 1);
  const [n, h, w, c] = test.shape;
  for (const set of oodSets) {
    const [, sh, sw, sc] = set.images.shape;
    if (sh !== h || sw !== w || sc !== c)
      throw rangeError(
        ACTION,
        `the images of OOD set ${set.name} must be ${h}x${w}x${c} like the test images`,
        set.images.shape,
      );
  }
  const conditional = discriminator.inputs.length === 2;
  const scorer = conditional
    ? ({
        apply: (x: TFJS.Tensor, kwargs?: Record<string, unknown>) =>
          tf.tidy(() => discriminator.apply([x, tf.fill([x.shape[0], 1], label, 'int32')], kwargs) as TFJS.Tensor),
      } as unknown as TFJS.LayersModel)
    : discriminator;
  const score = async (images: ImageBatch) => (await scoreImages(tf, scorer, images, { batchSize })).scores;
  const positives = await score(test);
  const rows: OodSetResult[] = [];
  const against = (name: string, negatives: Float32Array) => {
    const scores = new Float32Array(positives.length + negatives.length);
    scores.set(positives);
    scores.set(negatives, positives.length);
    const labels = new Uint8Array(scores.length);
    labels.fill(1, 0, positives.length);
    rows.push({ name, n: negatives.length, auroc: auroc(scores, labels) });
  };
  for (const set of oodSets) against(set.name, await score(set.images));
  const skipped: { name: string; reason: string }[] = [];
  const keys = Array.from({ length: n }, (_, i) => String(i));
  for (const name of nda as readonly string[]) {
    const k = name.startsWith('jigsaw-') ? Number(name.slice(7)) : 0;
    if (k > 0 && (h % k !== 0 || w % k !== 0)) {
      skipped.push({ name: `nda/${name}`, reason: `k ${k} does not divide the ${h}x${w} images` });
      continue;
    }
    let images: ImageBatch;
    if (name === 'constant') {
      const data = new Uint8Array(n * h * w * c);
      for (let i = 0; i < n; i++)
        data.fill(Math.round((255 * i) / Math.max(1, n - 1)), i * h * w * c, (i + 1) * h * w * c);
      images = {
        data: test.data instanceof Float32Array ? Float32Array.from(data, (v) => v / 255) : data,
        shape: test.shape,
      };
    } else {
      const transform =
        k > 0
          ? createNdaTransform('jigsaw', { k, mode: 'official' })
          : name === 'mixup'
            ? createNdaTransform('mixup', { lambda: 0.5, partners: 'official' })
            : name === 'stitch'
              ? createNdaTransform('stitch', { partners: 'official' })
              : createNdaTransform(name, {});
      images = transform.apply(test, { seed, epoch: 0, keys }).images;
    }
    against(`nda/${name}`, await score(images));
  }
  const mean = rows.length === 0 ? NaN : rows.reduce((a, r) => a + r.auroc, 0) / rows.length;
  return { sets: rows, mean, skipped, n };
}
