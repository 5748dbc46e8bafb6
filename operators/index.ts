export * from './decode.js';
export * from './parallel-map.js';
export * from './worker-map.js';
export * from './batch.js';
export * from './unbatch.js';
export * from './map.js';
export * from './filter.js';
export * from './select.js';
export * from './rename.js';
export * from './to-tuple.js';
export * from './shuffle.js';
export * from './random-crop.js';
export * from './random-flip.js';
export * from './jigsaw.js';
export * from './stitch.js';
export * from './mixup.js';
export * from './cutout.js';
export * from './cutmix.js';
export * from './shift.js';
export * from './noise.js';
export * from './random-resized-crop.js';
export * from './color-jitter.js';
export * from './random-grayscale.js';
export * from './gaussian-blur.js';
export * from './normalize.js';
export * from './two-views.js';
export * from './nda-pairs.js';
export {
  augmentInWorkers,
  type AugmentInWorkersOptions,
  type AugmentStep,
  type AugmentStepOptions,
} from './augment-in-workers.js';
export * from './clip-random-resized-crop.js';
export * from './clip-random-flip.js';
export * from './clip-color-jitter.js';
export * from './clip-random-grayscale.js';
export * from './decode-clips.js';
export { createNdaTransform, NDA_TRANSFORM_NAMES } from './internal/nda-transforms.js';
export type { NdaContext, NdaResult, NdaTransform } from './internal/nda-transform.js';
export { createVideoNdaTransform, VIDEO_NDA_TRANSFORM_NAMES } from './internal/video-nda-transforms.js';
export type { VideoNdaResult, VideoNdaTransform } from './internal/video-nda-transform.js';
