import { mapSamples } from '../operators/map-samples.js';
import { randomCrop } from '../operators/random-crop.js';
import type { Image } from '../sources/sample.js';
import { deriveSeed } from '../sources/random.js';
import { embeddedShards } from './internal/embedded-shards.js';
import { fmnistTestShards } from './internal/fmnist-test-shards.js';
import { definePipeline } from './define-pipeline.js';
import { GAN_PIPELINE_NDA, ganPipelineOptions, runGanPipeline } from './internal/gan-pipeline.js';
import { padCentre } from './internal/pad-centre.js';

/** The `nda` values of {@link fmnistGan}: `none` trains the plain hinge GAN (alpha 1, beta 0). */
export const FMNIST_GAN_NDA = GAN_PIPELINE_NDA;

/**
 * The NDA-GAN pipeline on Fashion-MNIST (`ndaflow run fmnist-gan --nda jigsaw --steps 20 --seed 1`):
 * the embedded training shards (or `--shards`, e.g. the full set from `ndaflow prepare fashion-mnist`),
 * shuffled (buffer 1000), decoded to greyscale, padded from 28 to 32 px by the usual pad-and-crop
 * augmentation (`randomCrop({size: 32, pad: 2})`; `--no-crop` and `--preset paper`: padded in the
 * centre, no augmentation, as the official runs have none), batched by 64 (full batches only), paired with their
 * NDA negatives (`ndaPairs`; `nda: 'none'` trains the plain GAN: alpha 1, beta 0) and fed to the
 * NDA-GAN trainer (a 1-channel DCGAN, 4 D steps per G step, EMA of G) on the backend `selectBackend`
 * chooses (printed at start), epochs repeating until `steps` generator steps (default 200).
 * The run folder (default `runs/fmnist-gan-<nda>-seed<seed>`) gets `config.json`, `metrics.jsonl`,
 * checkpoints, a sample grid, the EMA generator's FID/KID against the test split (as many generated
 * images as test images, through the project's Fashion-MNIST classifier; test shards as
 * `fmnistTestShards` finds them) and `report.html` (its path is printed). `--resume` continues it.
 * Options (`ndaflow run fmnist-gan --help`): `ganPipelineOptions`, e.g. `nda`, `jigsawK`, `alpha`, `beta`,
 * `steps`, `architecture`, `conditional`. Deterministic given the seed and backend. See `runGanPipeline`
 * for the errors.
 */
export const fmnistGan = definePipeline({
  name: 'fmnist-gan',
  options: ganPipelineOptions({
    shards: 'the embedded Fashion-MNIST train shards',
    testShards: 'the test-NNNNNN.tar beside --shards, or the embedded ones',
    augmentation: {
      flag: 'crop',
      help: 'pad 28 -> 32 px at a random place, seeded (--no-crop, and --preset paper: in the centre, no augmentation)',
    },
  }),
  summary:
    'embedded Fashion-MNIST train -> shuffle -> decode(gray) -> pad to 32 -> batch(64) -> ndaPairs(--nda) -> NDA-GAN training (--steps, --resume) -> runs/<name>/report.html',
  run(options, context) {
    return runGanPipeline(
      {
        name: 'fmnist-gan',
        defaultShards: () => embeddedShards('fmnist', 'train'),
        testShards: (options) => fmnistTestShards('run fmnist-gan', options.shards, options.testShards),
        image: 'gray',
        channels: 1,
        size: 32,
        augment: (seed, handler, on) => [
          on
            ? randomCrop({ size: 32, pad: 2, seed: deriveSeed(seed, 'crop'), handler })
            : mapSamples((sample: Readonly<Record<string, unknown>>) => ({ ...sample, png: padImage(sample['png']) }), {
                handler,
              }),
        ],
        augmentation: { on: 'pad 2 + random crop 32', off: 'none (centre pad to 32)', flag: 'crop' },
      },
      options,
      context,
    );
  },
});

/** A decoded 28 px greyscale image padded in the centre to 32 px. */
function padImage(image: unknown): Image {
  const { data, shape } = image as Image;
  const padded = padCentre({ data, shape: [1, ...shape] });
  return { data: padded.data, shape: [32, 32, 1] };
}
