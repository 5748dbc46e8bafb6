import { decode } from '../operators/decode.js';
import { NDA_TRANSFORM_NAMES, createNdaTransform } from '../operators/internal/nda-transforms.js';
import { randomFlip } from '../operators/random-flip.js';
import { randomResizedCrop } from '../operators/random-resized-crop.js';
import { rename } from '../operators/rename.js';
import { twoViews } from '../operators/two-views.js';
import { createImageEncoder } from '../sinks/contrastive/image-encoder.js';
import { deriveSeed } from '../sources/random.js';
import type { Batch, ImageBatch } from '../sources/sample.js';
import { embeddedShards } from './internal/embedded-shards.js';
import { fmnistTestShards } from './internal/fmnist-test-shards.js';
import { definePipeline } from './define-pipeline.js';
import { mocoPipelineOptions, runMocoPipeline, type MocoPipelineSpec } from './internal/moco-pipeline.js';

/** The `nda` values of {@link fmnistMoco}: `none` trains plain MoCo-v2, the others add that NDA's views as negatives. */
export const FMNIST_MOCO_NDA: readonly string[] = ['none', ...NDA_TRANSFORM_NAMES];

/** Member i's `cls` of a batch (as `decode` reads it). */
export function classOf(batch: Batch, i: number): number {
  return Number((batch['cls'] as unknown[])[i]);
}

/** The spec of {@link fmnistMoco} (for experiments that probe its encoder at other points). */
export const FMNIST_MOCO_SPEC: MocoPipelineSpec = {
  name: 'fmnist-moco',
  ndaChoices: FMNIST_MOCO_NDA,
  defaultNda: 'jigsaw',
  defaultShards: () => embeddedShards('fmnist', 'train'),
  testShards: (options) => fmnistTestShards('run fmnist-moco', options.shards, options.testShards),
  inputShape: [28, 28, 1],
  views: (seed, handler) => [
    decode({ image: 'gray', handler }),
    twoViews(
      [
        randomResizedCrop({ size: 28, scale: [0.35, 1], seed: deriveSeed(seed, 'crop'), handler }),
        randomFlip({ seed: deriveSeed(seed, 'flip'), handler }),
      ],
      { field: 'png', handler },
    ),
  ],
  probeView: (handler) => [decode({ image: 'gray', handler }), rename({ view: 'png' }, { handler })],
  probes: [{ label: 'class', classes: 10, read: classOf }],
  nda: (name, options) => {
    const transform = createNdaTransform(name, options);
    return (views, context) => transform.apply(views as ImageBatch, context).images;
  },
  encoder: (tf, inputShape, width, seed) =>
    createImageEncoder(tf, { inputShape: inputShape as [number, number, number], width, seed }),
  defaults: {
    steps: 200,
    batchSize: 64,
    shuffle: 1000,
    queueSize: 1024,
    width: 16,
    ndaPerQuery: 1,
    probeTrain: 3000,
    probeTest: 0,
  },
};

/**
 * MoCo-v2 with NDA on Fashion-MNIST (`ndaflow run fmnist-moco --nda jigsaw --steps 200 --seed 1`):
 * the embedded training shards (or `--shards`), shuffled, decoded to greyscale, two views per image
 * (random resized crop to 28 px, scale 0.35-1, and a flip), batches of 64; each query's NDA view
 * (`--nda`, default jigsaw; `none`: plain MoCo) is embedded by the key encoder and added to that
 * query's InfoNCE denominator. A small ResNet encoder (width 16), queue 1024, momentum 0.99,
 * temperature 0.2, Adam 1e-3. At the end the frozen encoder's features feed a linear classifier of
 * the 10 classes (fitted on the first 3000 training images, top-1 on the test split). Run folder,
 * checkpoints, `--resume` and report as in `runMocoPipeline`.
 */
export const fmnistMoco = definePipeline({
  name: FMNIST_MOCO_SPEC.name,
  options: mocoPipelineOptions(FMNIST_MOCO_SPEC, {
    shards: 'the embedded Fashion-MNIST train shards',
    testShards: 'the test-NNNNNN.tar beside --shards, or the embedded ones',
  }),
  summary:
    'MoCo-v2 (+ NDA views of each query as extra negatives, --nda) on embedded Fashion-MNIST, small ResNet encoder -> linear probe top-1 on the test split -> runs/<name>/report.html',
  run(options, context) {
    return runMocoPipeline(FMNIST_MOCO_SPEC, options, context);
  },
});
