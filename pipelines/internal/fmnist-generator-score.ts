import type * as TFJS from '@tensorflow/tfjs';
import { batch } from '../../operators/batch.js';
import { decode } from '../../operators/decode.js';
import { evaluateGenerator, type GeneratorScore } from '../../sinks/eval/evaluate-generator.js';
import { featuresOf } from '../../sinks/eval/features-of.js';
import { loadFmnistClassifier } from '../../sinks/eval/load-fmnist-classifier.js';
import { fromShards } from '../../sources/from-shards.js';
import type { HandlerName } from '../../sources/handlers.js';
import { createLoader } from '../../sources/loader.js';
import type { ImageBatch } from '../../sources/sample.js';

/**
 * FID-style Frechet distance and KID of a Fashion-MNIST generator (`[n, z]` -> `[n, 32, 32, 1]`):
 * every image of the test shards and as many generated ones (same N), through the project's
 * classifier (`loadFmnistClassifier`, `data/fmnist-classifier`); KID averaged over 10 subsets of up to
 * 1000 images (at most half of them). Deterministic given the seed and
 * backend; the classifier is released before it returns.
 */
export async function fmnistGeneratorScore(
  tf: typeof TFJS,
  generator: TFJS.LayersModel,
  testShards: string | readonly string[],
  options: { readonly seed: number; readonly handler?: HandlerName },
): Promise<GeneratorScore> {
  const { classifier, features } = await loadFmnistClassifier(tf);
  try {
    const it = createLoader(
      fromShards(testShards, { seed: options.seed, shuffle: 0, handler: options.handler }),
      decode({ image: 'gray', handler: options.handler }),
      batch(500),
    ).iterate();
    async function* images(): AsyncGenerator<ImageBatch> {
      for await (const b of it) yield b.png as ImageBatch;
    }
    const real = await featuresOf(tf, features, images());
    // KID over 10 subsets, not KID's default 100: the kernel sums run in JS (~0.4 s per subset of 1000);
    // subsets of at most half the images, so that they differ and the spread means something
    const n = real.shape[0];
    return await evaluateGenerator(tf, {
      generator,
      features,
      real,
      n,
      seed: options.seed,
      kid: { subsets: 10, subsetSize: Math.max(2, Math.min(1000, Math.floor(n / 2))) },
    });
  } finally {
    classifier.dispose();
  }
}
