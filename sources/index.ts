export * from './sample.js';
export * from './errors.js';
export * from './handlers.js';
export * from './random.js';
export * from './shard-spec.js';
export {
  rankFromEnv,
  describeRank,
  partFromEnv,
  type RankInfo,
  type LauncherName,
  type ArrayTaskInfo,
} from './launcher-env.js';
export * from './shard-plan.js';
export * from './open-shard.js';
export * from './http-shard.js';
export { objectShardStream, listShards, isObjectStoreUrl, parseObjectUrl, type ObjectUrl } from './object-store.js';
export * from './tar-samples.js';
export * from './ledger.js';
export * from './loader-state.js';
export { mergeLoaderStates } from './merge-loader-states.js';
export * from './shuffle-buffer.js';
export * from './shard-reader.js';
export * from './from-shards.js';
export * from './loader.js';
export * from './shard-writer.js';
export * from './video/clip-plan.js';
export * from './video/video-frame-decoder.js';
export * from './video/video-clip.js';
export * from './video/stack-clips.js';
export * from './video/ffmpeg-binaries.js';
export * from './optional-package.js';
