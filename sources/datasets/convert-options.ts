import type { OptionKeyFlags } from '../option-keys.js';

/** Options every dataset converter takes. */
export interface ConvertOptions {
  /** Folder the shards are written to (created when missing). */
  readonly out: string;
  /** Most samples per shard. @default 10000 */
  readonly maxSamples?: number;
  /** Most bytes of entry data per shard. @default 1e9 */
  readonly maxBytes?: number;
  /**
   * Gzip every shard (`train-000000.tar.gz`): about a third of the size for small images, since
   * tar pads every entry to 512 bytes. @default false
   */
  readonly gzip?: boolean;
  /** Called after each sample written with the total so far (for progress bars). */
  readonly onProgress?: (samples: number) => void;
  /**
   * Called with each shard once it is complete under its final name (what was written, should the
   * conversion fail or be stopped later). @default none
   */
  readonly onShard?: (shard: ShardInfo) => void;
  /**
   * Stops the conversion (Ctrl-C): the shard being written is removed, the complete ones stay, and
   * the converter rejects with the signal's reason. @default none
   */
  readonly signal?: AbortSignal;
  /**
   * Write only part `index` of `count` (0-based), for array jobs (a Slurm array, a Kubernetes indexed
   * Job): shard `k` of every split is written by part `k % count`. Every part goes through the same
   * sample order and cuts shards at the same places (`maxSamples`, `maxBytes`), so the parts are
   * disjoint and their union is the single run's output byte for byte. Samples of other parts' shards
   * are listed and sized but, where the converter can (folders, adapters, Kinetics, UCF101), never
   * read; idx/CIFAR images are encoded to be sized, and Moving-Fashion-MNIST renders every clip.
   * @default the whole output (`{ index: 0, count: 1 }`)
   */
  readonly part?: PreparePart;
}

/** One part of a preparation split over several processes (see {@link ConvertOptions.part}). */
export interface PreparePart {
  /** This part, in [0, count). */
  readonly index: number;
  /** Number of parts. */
  readonly count: number;
}

/** One shard written by a converter. */
export interface ShardInfo {
  readonly path: string;
  /** Size of the file in bytes. */
  readonly bytes: number;
}

/** What a converter wrote for one split. */
export interface SplitResult {
  readonly split: string;
  readonly samples: number;
  readonly shards: readonly ShardInfo[];
  /** Files in the output folder that look like shards of this split but were not written now (left by an earlier run). */
  readonly stale: readonly string[];
}

/** What a converter wrote. */
export interface ConvertResult {
  readonly splits: readonly SplitResult[];
}

/** The keys of {@link ConvertOptions}, spread into each converter's own key list (`optionKeys`). */
export const CONVERT_OPTION_FLAGS: OptionKeyFlags<ConvertOptions> = {
  out: true,
  maxSamples: true,
  maxBytes: true,
  gzip: true,
  onProgress: true,
  onShard: true,
  signal: true,
  part: true,
};
