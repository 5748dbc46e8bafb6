/**
 * `ndaflow/sources`: shard specs -> tar streams -> WebDataset samples, the loader (backpressure,
 * resume, accounting), error handlers, the shared sample types, shard writing, video clips and the
 * dataset converters. Exported by name: what is not listed here is internal.
 */
// Shards, samples, the loader
export { fromShards, ShardSource } from './from-shards.js';
export type { FromShardsOptions } from './from-shards.js';
export { expandShardSpec } from './shard-spec.js';
export { createLoader, Loader, holding, LoaderStallError } from './loader.js';
export type {
  HoldsSamples,
  HoldingOptions,
  HoldingOperatorFunction,
  LoaderIteration,
  LoaderOptions,
  StageView,
} from './loader.js';
export type { LoaderState, MergedLoaderState, SavedLayout } from './loader-state.js';
export { mergeLoaderStates } from './merge-loader-states.js';
// Many machines: launchers, object stores
export { rankFromEnv, describeRank, partFromEnv } from './launcher-env.js';
export type { RankInfo, LauncherName, ArrayTaskInfo } from './launcher-env.js';
export { objectShardStream, listShards, isObjectStoreUrl, parseObjectUrl } from './object-store.js';
export type { ObjectUrl } from './object-store.js';
export { cachedShardStream } from './shard-cache.js';
export type { ShardCacheEvent, ShardCacheOptions } from './shard-cache.js';
export type { Accounting, ErrorRecord } from './ledger.js';
export { SampleError, ShardError } from './errors.js';
export type { ErrorSite } from './errors.js';
export { isImage, settleSkipped } from './sample.js';
export type { Sample, SampleIdentity, AnyFields, Image, ImageBatch, Batch } from './sample.js';
export {
  reraise,
  warnAndContinue,
  ignoreAndContinue,
  warnAndStop,
  ignoreAndStop,
  resolveHandler,
  HANDLER_NAMES,
} from './handlers.js';
export type { ErrorHandler, HandlerName, HandlerDecision } from './handlers.js';
export { Random, deriveSeed } from './random.js';
export { ShardWriter } from './shard-writer.js';
export type { ShardWriterOptions, WritableSample } from './shard-writer.js';
export { isVideoClip, VIDEO_EXTENSIONS } from './video/video-clip.js';
export type { VideoClip, ClipBatch } from './video/video-clip.js';
export { stackClips } from './video/stack-clips.js';
export type { ClipMode } from './video/clip-plan.js';
export type { VideoScaler } from './video/video-frame-decoder.js';
export type { ClipReadStats } from './video/read-clips.js';
export { findFfmpegBinaries } from './video/ffmpeg-binaries.js';
export type { FfmpegBinaries, ToolLocation } from './video/ffmpeg-binaries.js';
export { MissingPackageError } from './optional-package.js';
// Dataset converters (ndaflow prepare ...) and your own datasets through an adapter
export { convertFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_DEBIAN_ROOT } from './datasets/fashion-mnist.js';
export type { FashionMnistOptions, FashionMnistSplit } from './datasets/fashion-mnist.js';
export { convertCifar } from './datasets/cifar.js';
export type { CifarOptions, CifarSplit, CifarVariant } from './datasets/cifar.js';
export { convertFolder } from './datasets/folder.js';
export type { FolderOptions, FolderResult } from './datasets/folder.js';
export { convertUcf101, ucf101Adapter } from './datasets/ucf101.js';
export type { Ucf101Options } from './datasets/ucf101.js';
export { convertKinetics, kineticsAdapter } from './datasets/kinetics.js';
export type { KineticsOptions } from './datasets/kinetics.js';
export { convertVideoFolder, videoFolderAdapter } from './datasets/video-folder.js';
export type { VideoFolderOptions } from './datasets/video-folder.js';
export { convertMovingFmnist } from './datasets/moving-fmnist.js';
export type { MovingFmnistOptions } from './datasets/moving-fmnist.js';
export { convertSvhn } from './datasets/svhn.js';
export type { SvhnOptions } from './datasets/svhn.js';
export { convertCifar10C } from './datasets/cifar10-c.js';
export type { Cifar10COptions } from './datasets/cifar10-c.js';
export { convertDtd, convertPlaces365, convertTinyImagenet } from './datasets/ood-image-folders.js';
export type {
  OodFolderOptions,
  OodFolderResult,
  Places365Options,
  TinyImagenetOptions,
} from './datasets/ood-image-folders.js';
export type { ConvertOptions, ConvertResult, SplitResult, ShardInfo } from './datasets/convert-options.js';
export { writeDataset } from './datasets/write-dataset.js';
export type { WriteDatasetOptions, DatasetResult } from './datasets/write-dataset.js';
export type { DatasetAdapter, DatasetItem, DatasetListing, DatasetSplit } from './datasets/dataset-adapter.js';
export { DatasetError } from './datasets/dataset-error.js';
