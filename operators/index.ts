/**
 * `ndaflow/operators`: RxJS operator factories (decode, batch, field operators, positive and
 * negative augmentations, parallel and worker maps, video clips), the pure NDA transforms and the
 * types that carry sample fields through a pipeline. Exported by name: what is not listed here is
 * internal.
 */
export { decode } from './decode.js';
export type { DecodeOptions, Decoders } from './decode.js';
export type { FieldDecoder } from './internal/decode-fields.js';
export type {
  DecodedSample,
  DecodedField,
  ImageExtension,
  IntegerExtension,
  TextExtension,
  JsonExtension,
} from './decoded-sample.js';
export { batch } from './batch.js';
export { releaseBatch } from './release-batch.js';
export type { BatchOptions } from './batch.js';
export type { BatchOf, UncollatedBatchOf, Collated } from './batch-of.js';
export { unbatch } from './unbatch.js';
export type { UnbatchOptions } from './unbatch.js';
export { shuffle } from './shuffle.js';
export type { ShuffleOptions } from './shuffle.js';
export { parallelMap } from './parallel-map.js';
export type { ParallelMapOptions, ParallelMapFn } from './parallel-map.js';
export { workerMap } from './worker-map.js';
export type { WorkerMapOptions } from './worker-map.js';
export { mapSamples } from './map-samples.js';
export type { MapSamplesOptions, WithIdentity } from './map-samples.js';
export { filterSamples } from './filter-samples.js';
export type { FilterSamplesOptions } from './filter-samples.js';
export { keepFields } from './keep-fields.js';
export type { KeepFieldsOptions, KeptFields } from './keep-fields.js';
export { rename } from './rename.js';
export type { RenameOptions, Renamed } from './rename.js';
export { toTuple } from './to-tuple.js';
export type { ToTupleOptions, SampleTuple, TupleOf } from './to-tuple.js';
export { randomCrop } from './random-crop.js';
export type { RandomCropOptions } from './random-crop.js';
export { randomFlip } from './random-flip.js';
export type { RandomFlipOptions } from './random-flip.js';
export { randomResizedCrop } from './random-resized-crop.js';
export type { RandomResizedCropOptions } from './random-resized-crop.js';
export { colorJitter } from './color-jitter.js';
export type { ColorJitterOptions } from './color-jitter.js';
export { randomGrayscale } from './random-grayscale.js';
export type { RandomGrayscaleOptions } from './random-grayscale.js';
export { gaussianBlur } from './gaussian-blur.js';
export type { GaussianBlurOptions } from './gaussian-blur.js';
export { normalize } from './normalize.js';
export type { NormalizeOptions } from './normalize.js';
export { twoViews } from './two-views.js';
export type { TwoViewsOptions, TwoViewsSample, ViewAugmentation } from './two-views.js';
export { augmentInWorkers } from './augment-in-workers.js';
export type { AugmentInWorkersOptions } from './augment-in-workers.js';
export type { AugmentStep, AugmentStepOptions } from './internal/augment-worker.js';
export { jigsaw } from './jigsaw.js';
export type { JigsawOptions } from './jigsaw.js';
export { jigsawTransform } from './internal/nda-jigsaw.js';
export type { JigsawTransform, JigsawTransformOptions, JigsawResult } from './internal/nda-jigsaw.js';
export { stitch } from './stitch.js';
export type { StitchOptions, StitchBatch } from './stitch.js';
export { stitchTransform } from './internal/nda-stitch.js';
export type { StitchDirection, StitchTransform, StitchTransformOptions, StitchResult } from './internal/nda-stitch.js';
export { mixup } from './mixup.js';
export type { MixupOptions, MixupBatch } from './mixup.js';
export { mixupTransform } from './internal/nda-mixup.js';
export type { MixupTransform, MixupTransformOptions, MixupResult } from './internal/nda-mixup.js';
export { cutout } from './cutout.js';
export type { CutoutOptions } from './cutout.js';
export { cutoutTransform } from './internal/nda-cutout.js';
export type { CutoutTransform, CutoutTransformOptions, CutoutResult } from './internal/nda-cutout.js';
export { cutmix } from './cutmix.js';
export type { CutmixOptions, CutmixBatch } from './cutmix.js';
export { cutmixTransform } from './internal/nda-cutmix.js';
export type { CutmixBox, CutmixTransform, CutmixTransformOptions, CutmixResult } from './internal/nda-cutmix.js';
export { shift } from './shift.js';
export type { ShiftOptions } from './shift.js';
export { shiftTransform } from './internal/nda-shift.js';
export type { ShiftTransform, ShiftTransformOptions, ShiftResult } from './internal/nda-shift.js';
export { noise } from './noise.js';
export type { NoiseOptions } from './noise.js';
export { noiseTransform } from './internal/nda-noise.js';
export type { NoiseTransform, NoiseTransformOptions } from './internal/nda-noise.js';
export { ndaPairs } from './nda-pairs.js';
export type { NdaPairsOptions, NdaPair, NdaChoice, NdaSpec } from './nda-pairs.js';
export { createNdaTransform, NDA_TRANSFORM_NAMES } from './internal/nda-transforms.js';
export type { NdaContext, NdaResult, NdaTransform } from './internal/nda-transform.js';
export { createVideoNdaTransform, VIDEO_NDA_TRANSFORM_NAMES } from './internal/video-nda-transforms.js';
export type { VideoNdaResult, VideoNdaTransform } from './internal/video-nda-transform.js';
export { decodeClips } from './decode-clips.js';
export type { DecodeClipsOptions, DecodeClipsStats, ClipsSample } from './decode-clips.js';
export { clipRandomResizedCrop } from './clip-random-resized-crop.js';
export type { ClipRandomResizedCropOptions } from './clip-random-resized-crop.js';
export { clipRandomFlip } from './clip-random-flip.js';
export type { ClipRandomFlipOptions } from './clip-random-flip.js';
export { clipColorJitter } from './clip-color-jitter.js';
export type { ClipColorJitterOptions } from './clip-color-jitter.js';
export { clipRandomGrayscale } from './clip-random-grayscale.js';
export type { ClipRandomGrayscaleOptions } from './clip-random-grayscale.js';
