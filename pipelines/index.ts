/**
 * `ndaflow/pipelines`: declare runnable pipelines (`definePipeline`, the option kinds, the common and
 * NDA options) and run the registered ones from code (`findPipeline('fmnist-gan').run({steps: 5})`).
 * A module whose default export is a `definePipeline(...)` runs as `ndaflow run ./file.js`.
 */
export { commonOptions, readOptions, runFolderOptions } from './common-options.js';
export {
  STREAM_STATE_FILE,
  definePipeline,
  isPipeline,
  resolvePipelineOptions,
  type ConsumeOptions,
  type PipelineDeclaration,
  type PipelineRunContext,
} from './define-pipeline.js';
export { isPipelinePath, loadPipelineFile } from './load-pipeline-file.js';
export { ndaOptions, ndaTransformOptions, type NdaOptionKey } from './nda-options.js';
export { PipelineError } from './pipeline-error.js';
export {
  choiceOption,
  flagOption,
  intOption,
  intRangeOption,
  numberOption,
  numberPairOption,
  optionFlag,
  stringOption,
  type AnyPipelineOption,
  type IntOptionSpec,
  type NumberOptionSpec,
  type OptionBase,
  type PipelineOption,
} from './pipeline-option.js';
export type {
  Pipeline,
  PipelineContext,
  PipelineOptionInput,
  PipelineOptionValues,
  PipelineOptions,
  PipelineResult,
} from './pipeline.js';
export { findPipeline, listPipelines, type PipelineListing } from './registry.js';
