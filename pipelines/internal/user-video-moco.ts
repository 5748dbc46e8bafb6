import { rangeError } from '../../sources/errors.js';
import { classOf } from '../fmnist-moco.js';
import { definePipeline } from '../define-pipeline.js';
import { mocoPipelineOptions, runMocoPipeline } from './moco-pipeline.js';
import { testShardsBeside } from './test-shards-beside.js';
import { videoMocoSpec } from './video-moco-spec.js';

/** What differs between the video MoCo pipelines on datasets the user brings (UCF101, Kinetics). */
export interface UserVideoMocoParams {
  readonly name: string;
  /** The dataset's display name and the command that writes its shards, for the error without `--shards`. */
  readonly dataset: string;
  readonly prepare: string;
  readonly description: string;
}

/**
 * A video MoCo pipeline over shards the user wrote with `ndaflow prepare` (no embedded data: `--shards`
 * is required; the probe's test split is `--test-shards`, or the `test-*` shards beside them): 16-frame
 * clips, stride 2 at 15 fps, decoded to 128 px, random resized crops of 112 px with flip and colour
 * jitter, `--nda shuffle` by default; linear probe of the class (`cls`) at the end.
 */
export function userVideoMoco(params: UserVideoMocoParams) {
  const spec = videoMocoSpec({
    name: params.name,
    defaultNda: 'shuffle',
    defaultShards: () => {
      throw rangeError(
        `run ${params.name}`,
        `it needs the ${params.dataset} shards: write them with \`${params.prepare}\`, then pass --shards 'DIR/train-{000000..NNNNNN}.tar'`,
        undefined,
      );
    },
    testShards: (options) =>
      options.testShards ??
      (options.shards === undefined ? [] : testShardsBeside(`run ${params.name}`, options.shards)),
    frames: 16,
    stride: 2,
    fps: 15,
    decodeSize: 128,
    size: 112,
    flip: true,
    probes: [{ label: 'class', read: classOf }],
    defaults: {
      steps: 2000,
      batchSize: 16,
      shuffle: 256,
      queueSize: 4096,
      width: 32,
      ndaPerQuery: 1,
      probeTrain: 0,
      probeTest: 0,
    },
  });
  return definePipeline({
    name: params.name,
    summary: params.description,
    options: mocoPipelineOptions(spec, {
      shards: `none: required (write them with \`${params.prepare}\`)`,
      testShards: 'the test-* shards beside --shards',
    }),
    run(options, context) {
      return runMocoPipeline(spec, options, context);
    },
  });
}
