/**
 * ndaflow: stream WebDataset tar shards through RxJS operators, with demand-driven backpressure,
 * exact resume and full accounting. Sources (shards -> samples), operators (decode, batch, NDA and
 * positive augmentations, ...) and sinks (the TF.js backend, the NDA-GAN step).
 */
export * from './sources/index.js';
export * from './sources/datasets/index.js';
export * from './operators/index.js';
export * from './sinks/index.js';
// Declaring pipelines (also `ndaflow/pipelines`): named one by one, the registry and internals stay private.
export {
  choiceOption,
  commonOptions,
  definePipeline,
  flagOption,
  intOption,
  intRangeOption,
  ndaOptions,
  numberOption,
  numberPairOption,
  readOptions,
  stringOption,
  type Pipeline,
  type PipelineContext,
  type PipelineDeclaration,
  type PipelineOption,
  type PipelineOptionValues,
  type PipelineResult,
  type PipelineRunContext,
} from './pipelines/index.js';
