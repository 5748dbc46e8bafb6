import { rangeError } from '../sources/errors.js';
import { cifar10Gan } from './cifar10-gan.js';
import { cifar100Gan } from './cifar100-gan.js';
import { fmnistClassifier } from './fmnist-classifier.js';
import { fmnistAnomaly } from './fmnist-anomaly.js';
import { fmnistGan } from './fmnist-gan.js';
import { fmnistMoco } from './fmnist-moco.js';
import { fmnistStream } from './fmnist-stream.js';
import { kineticsVideoMoco } from './kinetics-video-moco.js';
import { movingFmnistVideoMoco } from './moving-fmnist-video-moco.js';
import { ucf101VideoMoco } from './ucf101-video-moco.js';
import type { Pipeline } from './pipeline.js';

/**
 * The registered pipelines, by name. Add a pipeline here to make it runnable as `ndaflow run NAME`
 * (a user's own runs as `ndaflow run ./file.js`, see `loadPipelineFile`).
 */
const PIPELINES: readonly Pipeline[] = [
  fmnistStream,
  fmnistGan,
  fmnistClassifier,
  cifar10Gan,
  cifar100Gan,
  fmnistAnomaly,
  fmnistMoco,
  movingFmnistVideoMoco,
  ucf101VideoMoco,
  kineticsVideoMoco,
];

/** Other names for registered pipelines: `default` is what `ndaflow run` runs without a name. */
const ALIASES: Readonly<Record<string, string>> = { default: fmnistStream.name };

/** One row of {@link listPipelines}. */
export interface PipelineListing {
  readonly name: string;
  readonly description: string;
  /** Names that also run it (`default`). */
  readonly aliases: readonly string[];
}

/** The registered pipelines, in registration order, with their aliases. */
export function listPipelines(): PipelineListing[] {
  return PIPELINES.map((p) => ({
    name: p.name,
    description: p.summary,
    aliases: Object.entries(ALIASES)
      .filter(([, target]) => target === p.name)
      .map(([alias]) => alias),
  }));
}

/**
 * The pipeline registered under a name or alias.
 * @throws RangeError listing the known names when there is none.
 */
export function findPipeline(name: string): Pipeline {
  const target = ALIASES[name] ?? name;
  const found = PIPELINES.find((p) => p.name === target);
  if (!found)
    throw rangeError(
      'run a pipeline',
      `its name must be one of ${[...Object.keys(ALIASES), ...PIPELINES.map((p) => p.name)].join(', ')}`,
      name,
    );
  return found;
}
