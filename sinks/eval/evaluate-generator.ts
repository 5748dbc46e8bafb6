import type * as TFJS from '@tensorflow/tfjs';
import { checkInteger, rangeError, typeError } from '../../sources/errors.js';
import { deriveSeed } from '../../sources/random.js';
import type { FeatureMatrix } from './feature-matrix.js';
import { frechetDistance } from './frechet-distance.js';
import { checkFeaturePair } from './internal/check-features.js';
import { kernelDistance, type KernelDistance, type KernelDistanceOptions } from './kernel-distance.js';
import { generateImages } from './internal/generate-images.js';
import { checkOptionKeys, optionKeys } from '../../sources/option-keys.js';

const EVALUATE_GENERATOR_KEYS = optionKeys<EvaluateGeneratorOptions>({
  generator: true,
  features: true,
  real: true,
  n: true,
  seed: true,
  batchSize: true,
  kid: true,
});

/** Options of {@link evaluateGenerator}. */
export interface EvaluateGeneratorOptions {
  /** `[n, z]` latents -> `[n, s, s, c]` images in [-1, 1], in the feature model's input format (e.g. `createDcgan(...).generator` or its EMA copy). */
  readonly generator: TFJS.LayersModel;
  /** The feature model (`loadFmnistClassifier(tf).features`): `[n, s, s, c]` -> `[n, d]`. */
  readonly features: TFJS.LayersModel;
  /** The real images' features through the same model (`featuresOf`), `[m, d]`. */
  readonly real: FeatureMatrix;
  /** Images to generate. At least 2. @default 10000 */
  readonly n?: number;
  /** Seed of the latents (batch `i` draws `tf.randomNormal` seeded with `deriveSeed(seed, 'latents', i)`) and of KID's subsets. @default 0 */
  readonly seed?: number;
  /** Images generated and featurised per step. @default 500 */
  readonly batchSize?: number;
  /** KID's subset options (its seed defaults to `deriveSeed(seed, 'kid')`). @default KID's defaults: 100 subsets of 1000 */
  readonly kid?: KernelDistanceOptions;
}

/** What {@link evaluateGenerator} returns. */
export interface GeneratorScore {
  /** Frechet distance between the generated and the real features (FID formula, in-domain features). */
  readonly fid: number;
  /** Kernel (KID) distance: mean and standard deviation over subsets. */
  readonly kid: KernelDistance;
  /** Images generated. */
  readonly n: number;
}

/**
 * Scores a generator against real images (issue 4 item 5): draws `n` standard normal latents
 * (seeded), generates in batches of `batchSize` in inference mode (`predict`: batch norm uses its
 * moving statistics), extracts the features of each batch and reads them back, disposing every tensor
 * of a batch before the next (the tensor count is flat), then returns `frechetDistance` and
 * `kernelDistance` of the generated features against `real`. A class-conditional generator gets balanced labels (image `i` is class `i mod classes`). Deterministic given the seed and backend.
 * Neither model is disposed (the caller owns them).
 *
 * @example
 * const { features, classifier } = await loadFmnistClassifier(tf);
 * const real = await featuresOf(tf, features, testImageBatches);
 * const { fid, kid } = await evaluateGenerator(tf, { generator, features, real, n: 10000, seed: 1 });
 * @throws RangeError/TypeError for a bad option, or when the generator's images or the features do not
 *   fit the feature model or `real`.
 */
export async function evaluateGenerator(tf: typeof TFJS, options: EvaluateGeneratorOptions): Promise<GeneratorScore> {
  checkOptionKeys('evaluateGenerator', options, EVALUATE_GENERATOR_KEYS);
  const action = 'evaluate a generator';
  const { generator, features, real } = options ?? ({} as EvaluateGeneratorOptions);
  if (generator === undefined || typeof generator.predict !== 'function')
    throw typeError(action, 'generator must be a tf.LayersModel', typeof generator);
  if (features === undefined || typeof features.predict !== 'function')
    throw typeError(action, 'features must be a tf.LayersModel', typeof features);
  const n = checkInteger(action, 'n', options.n ?? 10000, 2);
  const seed = checkInteger(action, 'seed', options.seed ?? 0, 0, 0xffffffff);
  const batchSize = checkInteger(action, 'batchSize', options.batchSize ?? 500, 1);
  const z = generator.inputs[0]!.shape[1];
  if (typeof z !== 'number' || generator.inputs[0]!.shape.length !== 2)
    throw rangeError(action, 'generator must take [n, z] latents', JSON.stringify(generator.inputs[0]!.shape));
  const out = JSON.stringify(generator.outputs[0]!.shape.slice(1));
  const expected = JSON.stringify(features.inputs[0]!.shape.slice(1));
  if (out !== expected)
    throw rangeError(action, `generator's images must have the feature model's input shape ${expected}`, out);
  const d = features.outputs[0]!.shape[1] as number;
  if (real?.shape?.[1] !== d)
    throw rangeError(
      action,
      `real must be a [m, ${d}] feature matrix of the same feature model`,
      JSON.stringify(real?.shape),
    );
  checkFeaturePair(action, real, real, 2);

  const data = new Float32Array(n * d);
  for (let i = 0, done = 0; done < n; i++) {
    const b = Math.min(batchSize, n - done);
    const f = tf.tidy(() => {
      const latents = tf.randomNormal([b, z], 0, 1, 'float32', deriveSeed(seed, 'latents', i));
      return features.predict(generateImages(tf, generator, latents as TFJS.Tensor2D, (j) => done + j)) as TFJS.Tensor;
    });
    try {
      data.set(await f.data(), done * d);
    } finally {
      f.dispose();
    }
    done += b;
  }
  const fake: FeatureMatrix = { data, shape: [n, d] };
  return {
    fid: frechetDistance(real, fake),
    kid: kernelDistance(real, fake, { seed: deriveSeed(seed, 'kid'), ...options.kid }),
    n,
  };
}
