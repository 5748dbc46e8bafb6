import { createNdaTransform } from '../../operators/internal/nda-transforms.js';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import type { ImageBatch } from '../../sources/sample.js';
import { createCorruption } from './corruptions.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const BUILD_OOD_SETS_KEYS = optionKeys<BuildOodSetsOptions>({ nda: true, corruptions: true, seed: true, keys: true });

/** One out-of-distribution set of {@link buildOodSets}. */
export interface OodSet {
  /** `nda/<transform>` or `corruption/<name>` (e.g. `nda/jigsaw`, `corruption/gaussian-blur`). */
  readonly name: string;
  /** One OOD image per test image, same shape and dtype as the test batch. */
  readonly images: ImageBatch;
}

/** Options of {@link buildOodSets}. */
export interface BuildOodSetsOptions {
  /**
   * NDA transforms (`createNdaTransform` names, default options) that make one set each. The mixing ones
   * (stitch, mixup, cutmix) pair each image with another of the batch, so they need >= 2 images.
   * @default ['jigsaw', 'stitch', 'mixup', 'cutout', 'cutmix']
   */
  readonly nda?: readonly string[];
  /**
   * Corruptions (`createCorruption` names, default severities) that make one set each.
   * @default all of CORRUPTION_NAMES: gaussian-noise, shot-noise, impulse-noise, gaussian-blur, contrast, pixelate
   */
  readonly corruptions?: readonly string[];
  /** Seed of every random choice (each set derives its own from it). An integer in [0, 2^32 - 1]. @default 0 */
  readonly seed?: number;
  /**
   * The test images' `__key__`s (per-image randomness derives from them).
   * @default `'0'`, `'1'`, ... (the index)
   */
  readonly keys?: readonly string[];
}

const ACTION = 'build the OOD sets';

/**
 * Builds out-of-distribution test sets from in-distribution test images (issue 4, anomaly scoring):
 * one set per NDA transform (`createNdaTransform(name, {}).apply(...)` at epoch 0) and one per common
 * corruption (`createCorruption(name).apply(...)`), each holding one image per test image, in the
 * order of the options (NDA first). Scoring them against the test images themselves tells how well a
 * discriminator separates real images from their distorted versions. Deterministic given the seed and
 * keys; the test batch is not modified.
 *
 * @throws RangeError/TypeError for a bad option or name (before any set is built), a test batch that
 *   is not `[n, h, w, c]` (uint8 when there are corruptions), or a transform that refuses the batch
 *   (e.g. a mixing one with one image).
 * @example
 * const sets = buildOodSets(normalTest, { nda: ['jigsaw'], corruptions: ['contrast'], seed: 1 });
 * // [{name: 'nda/jigsaw', images}, {name: 'corruption/contrast', images}]
 */
export function buildOodSets(testBatch: ImageBatch, options: BuildOodSetsOptions = {}): OodSet[] {
  checkOptionKeys('buildOodSets', options, BUILD_OOD_SETS_KEYS);
  if (typeof options !== 'object' || options === null) throw typeError(ACTION, 'options must be an object', options);
  const nda = names('nda', options.nda ?? ['jigsaw', 'stitch', 'mixup', 'cutout', 'cutmix']);
  const corruptionNames = names(
    'corruptions',
    options.corruptions ?? ['gaussian-noise', 'shot-noise', 'impulse-noise', 'gaussian-blur', 'contrast', 'pixelate'],
  );
  const seed = checkInteger(ACTION, 'seed', options.seed ?? 0, 0, 0xffffffff);
  const transforms = nda.map((name) => createNdaTransform(name, {}));
  const corruptions = corruptionNames.map((name) => createCorruption(name));
  const shape = testBatch?.shape;
  if (!Array.isArray(shape) || shape.length !== 4)
    throw rangeError(ACTION, 'the test batch must have shape [n, h, w, c]', shape);
  const n = shape[0];
  const keys = options.keys ?? Array.from({ length: n }, (_, i) => String(i));
  if (!Array.isArray(keys) || keys.length !== n)
    throw rangeError(
      ACTION,
      `keys must have one key per test image (${n})`,
      Array.isArray(keys) ? keys.length : typeof keys,
    );
  const sets: OodSet[] = [];
  for (const t of transforms) {
    sets.push({ name: `nda/${t.name}`, images: t.apply(testBatch, { seed, epoch: 0, keys }).images });
  }
  for (const c of corruptions) {
    sets.push({ name: `corruption/${c.name}`, images: c.apply(testBatch, { seed, keys }) });
  }
  return sets;
}

function names(option: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw typeError(ACTION, `${option} must be an array of names`, value);
  const seen = new Set<string>();
  for (const v of value) {
    if (seen.has(v)) throw rangeError(ACTION, `${option} must not repeat a name`, v);
    seen.add(v);
  }
  return value;
}
