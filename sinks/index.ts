/**
 * `ndaflow/sinks`: consumers that train or score (the TF.js backend, NDA-GAN, anomaly scoring,
 * evaluation, MoCo + NDA, linear probes, run reports). Exported by name: what is not listed here
 * is internal.
 */
export { selectBackend, BACKEND_ORDER } from './backend/select-backend.js';
export type { SelectBackendOptions, SelectedBackend, BackendName, BackendAttempt } from './backend/select-backend.js';
export { registerWasmKernels } from './backend/register-wasm-kernels.js';
export { MAX_WASM_THREADS } from './backend/wasm-threads.js';
export { createAdam } from './backend/fused-adam.js';
export { batchNormTraining } from './backend/batch-norm-training.js';
export type { BatchNormTraining } from './backend/batch-norm-training.js';
export { createDcgan } from './gan/dcgan.js';
export type { Dcgan, DcganOptions } from './gan/dcgan.js';
export { createSnResnetGan } from './gan/sn-resnet.js';
export type { SnResnetGanOptions } from './gan/sn-resnet.js';
export { ndaGanStep } from './gan/hinge-nda-step.js';
export { createGanOptimizers } from './gan/gan-optimizers.js';
export type { GanModels, GanOptimizers, NdaGanStepInputs, NdaGanStepLosses } from './gan/hinge-nda-step.js';
export { trainNdaGan } from './gan/gan-trainer.js';
export type { GanPair, TrainNdaGanOptions, TrainNdaGanResult, GanStepReport } from './gan/gan-trainer.js';
export { conditionalClasses } from './gan/conditional-classes.js';
export { createBigGan } from './gan/biggan.js';
export { batchNormLayer } from './gan/batch-norm-layer.js';
export type { BatchNormConfig } from './gan/batch-norm-layer.js';
export { checkGanStepFitsWasmHeap, estimateGanStepHeapBytes, WASM_HEAP_BYTES } from './gan/wasm-heap-check.js';
export type { BigGanOptions } from './gan/biggan.js';
export { createGan, GAN_ARCHITECTURES } from './gan/create-gan.js';
export type { GanArchitecture } from './gan/create-gan.js';
export { hingeNdaLoss, hingeGeneratorLoss } from './gan/hinge-nda-loss.js';
export type { HingeNdaLogits, HingeNdaLoss } from './gan/hinge-nda-loss.js';
export { GeneratorEma } from './gan/generator-ema.js';
export type { GeneratorEmaOptions } from './gan/generator-ema.js';
export { imageBatchToTensor } from './gan/to-tensor.js';
export { saveCheckpoint } from './checkpoint/save-checkpoint.js';
export type { SaveCheckpointOptions } from './checkpoint/save-checkpoint.js';
export { loadCheckpoint } from './checkpoint/load-checkpoint.js';
export type { LoadCheckpointOptions, LoadedCheckpoint } from './checkpoint/load-checkpoint.js';
export { pruneCheckpoints } from './checkpoint/prune-checkpoints.js';
export {
  BEST_FOLDER,
  BEST_RECORD,
  keepBestCheckpoint,
  readBestCheckpoint,
  type BestRecord,
  type KeepBestCheckpointOptions,
} from './checkpoint/best-checkpoint.js';
export { scoreImages } from './anomaly/score-images.js';
export type { ScoreImagesOptions, ImageScores } from './anomaly/score-images.js';
export { auroc } from './anomaly/auroc.js';
export { oneClassAuroc } from './anomaly/one-class-auroc.js';
export { buildOodSets } from './anomaly/ood-sets.js';
export type { BuildOodSetsOptions, OodSet } from './anomaly/ood-sets.js';
export { scoreOodSets } from './anomaly/anomaly-report.js';
export type { ScoreOodSetsOptions, AnomalyRow } from './anomaly/anomaly-report.js';
export { createCorruption, CORRUPTION_NAMES } from './anomaly/corruptions.js';
export type { Corruption, CorruptionOptions } from './anomaly/corruptions.js';
export { oodProtocol, OOD_PROTOCOL_NDA } from './anomaly/ood-protocol.js';
export type { OodProtocolOptions, OodProtocolResult, OodSetResult } from './anomaly/ood-protocol.js';
export { createFmnistClassifier, FEATURE_LAYER } from './eval/fmnist-classifier.js';
export type { FmnistClassifier, FmnistClassifierOptions } from './eval/fmnist-classifier.js';
export { trainFmnistClassifier } from './eval/train-fmnist-classifier.js';
export type { TrainFmnistClassifierOptions, TrainedFmnistClassifier } from './eval/train-fmnist-classifier.js';
export { loadFmnistClassifier } from './eval/load-fmnist-classifier.js';
export { evaluateClassifier } from './eval/evaluate-classifier.js';
export type { ClassifierScore } from './eval/evaluate-classifier.js';
export { classifierFeatures } from './eval/classifier-features.js';
export type { LabelledBatch } from './eval/labelled-batch.js';
export { featuresOf } from './eval/features-of.js';
export type { FeatureMatrix } from './eval/feature-matrix.js';
export { frechetDistance } from './eval/frechet-distance.js';
export { kernelDistance } from './eval/kernel-distance.js';
export type { KernelDistance, KernelDistanceOptions } from './eval/kernel-distance.js';
export { evaluateGenerator } from './eval/evaluate-generator.js';
export type { EvaluateGeneratorOptions, GeneratorScore } from './eval/evaluate-generator.js';
export { imageGrid } from './eval/image-grid.js';
export type { ImageGridOptions } from './eval/image-grid.js';
export { writeSampleGrid } from './eval/write-sample-grid.js';
export type { SampleGridOptions, SampleGridFile } from './eval/write-sample-grid.js';
export { encoderFeatures } from './eval/encoder-features.js';
export type { EncoderFeaturesOptions, EncoderInputBatch } from './eval/encoder-features.js';
export { pixelFeatures } from './eval/pixel-features.js';
export { trainLinearProbe } from './eval/linear-probe.js';
export type {
  LinearProbeOptions,
  LinearProbeResult,
  LinearProbeProgress,
  LabelledFeatures,
} from './eval/linear-probe.js';
export { createImageEncoder } from './contrastive/image-encoder.js';
export type { ImageEncoderOptions } from './contrastive/image-encoder.js';
export { createVideoEncoder } from './contrastive/video-encoder.js';
export type { VideoEncoderOptions } from './contrastive/video-encoder.js';
export { createMocoModels } from './contrastive/moco-models.js';
export type { MocoModels, MocoModelsOptions, MocoOptimizerName } from './contrastive/moco-models.js';
export { mocoStep } from './contrastive/moco-step.js';
export type { MocoStepInputs, MocoStepOptions, MocoStepResult } from './contrastive/moco-step.js';
export { trainMoco } from './contrastive/moco-trainer.js';
export type { MocoStepReport, TrainMocoOptions, TrainMocoResult } from './contrastive/moco-trainer.js';
export type { ContrastiveBatch } from './contrastive/contrastive-batch.js';
export { infoNceNda } from './contrastive/info-nce-nda.js';
export type { InfoNceNdaInputs, InfoNceNdaOutput } from './contrastive/info-nce-nda.js';
export { saveMocoCheckpoint } from './contrastive/save-moco-checkpoint.js';
export type { SaveMocoCheckpointOptions } from './contrastive/save-moco-checkpoint.js';
export { loadMocoCheckpoint } from './contrastive/load-moco-checkpoint.js';
export type { LoadMocoCheckpointOptions, LoadedMocoCheckpoint } from './contrastive/load-moco-checkpoint.js';
export { viewsToTensor } from './contrastive/views-to-tensor.js';
export { writeRunReport } from './report/write-run-report.js';
export type { RunReportOptions } from './report/write-run-report.js';
