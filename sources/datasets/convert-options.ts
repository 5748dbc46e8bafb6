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
