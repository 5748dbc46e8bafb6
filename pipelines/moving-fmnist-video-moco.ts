import type { Batch } from '../sources/sample.js';
import type { VideoClip } from '../sources/video/video-clip.js';
import { classOf } from './fmnist-moco.js';
import { movingFmnistShards } from './internal/moving-fmnist-shards.js';
import { definePipeline } from './define-pipeline.js';
import { mocoPipelineOptions, runMocoPipeline } from './internal/moco-pipeline.js';
import { videoMocoSpec } from './internal/video-moco-spec.js';

/**
 * Member i's motion direction (0..7) of a Moving-Fashion-MNIST batch: the first item's direction as it
 * leaves the clip's first frame (`json.frameDirections[0][start]`; items bounce, so the direction at
 * frame 0 of the video is not the clip's).
 */
function directionOf(batch: Batch, i: number): number {
  const meta = (batch['json'] as { frameDirections?: unknown }[] | undefined)?.[i];
  const clip = (batch['view'] as VideoClip[] | undefined)?.[i];
  const direction =
    Array.isArray(meta?.frameDirections) && clip !== undefined
      ? (meta.frameDirections[0] as unknown[] | undefined)?.[clip.start]
      : undefined;
  if (typeof direction !== 'number')
    throw new Error(
      `Cannot probe the motion direction as sample ${JSON.stringify(batch.__key__[i])} has no json.frameDirections (shards from \`ndaflow prepare moving-fmnist\` have it)`,
    );
  return direction;
}

/** The spec of {@link movingFmnistVideoMoco} (for experiments that probe its encoder at other points). */
export const MOVING_FMNIST_VIDEO_MOCO_SPEC = videoMocoSpec({
  name: 'moving-fmnist-video-moco',
  defaultNda: 'shuffle',
  defaultShards: () => movingFmnistShards('train'),
  testShards: (options) => options.testShards ?? movingFmnistShards('test', options.shards),
  frames: 8,
  stride: 2,
  decodeSize: 64,
  size: 48,
  flip: false,
  probes: [
    { label: 'class', classes: 10, read: classOf },
    { label: 'direction', classes: 8, read: directionOf },
  ],
  defaults: {
    steps: 200,
    batchSize: 32,
    shuffle: 500,
    queueSize: 1024,
    width: 16,
    ndaPerQuery: 1,
    probeTrain: 0,
    probeTest: 0,
  },
});

/**
 * Video MoCo with temporal NDA on Moving-Fashion-MNIST (`ndaflow run moving-fmnist-video-moco --nda
 * shuffle --steps 200 --seed 1`): the embedded clips (or `--shards` from `ndaflow prepare moving-fmnist`),
 * two 8-frame clips (stride 2) per video at random places, each randomly cropped to 48 px and
 * jittered (no flip: the direction is a label); the NDA view of each query (`--nda`: shuffle, reverse,
 * splice, static, or a spatial NDA on every frame; `none`: plain video MoCo) is an extra negative.
 * A (2+1)D encoder; then linear probes of the item class and the motion direction on the test clips.
 */
export const movingFmnistVideoMoco = definePipeline({
  name: MOVING_FMNIST_VIDEO_MOCO_SPEC.name,
  options: mocoPipelineOptions(MOVING_FMNIST_VIDEO_MOCO_SPEC, {
    shards: 'the embedded Moving-Fashion-MNIST train clips',
    testShards: 'the test shards beside --shards, or the embedded ones',
  }),
  summary:
    'video MoCo (+ temporal NDA: --nda shuffle|reverse|splice|static|...) on Moving-Fashion-MNIST clips, (2+1)D encoder -> linear probes of class and motion direction',
  run(options, context) {
    return runMocoPipeline(MOVING_FMNIST_VIDEO_MOCO_SPEC, options, context);
  },
});
