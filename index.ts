/**
 * ndaflow: stream WebDataset tar shards through RxJS operators, with demand-driven backpressure,
 * exact resume and full accounting. Sources (shards -> samples) and operators (decode, batch, ...).
 */
export * from './sources/index.js';
export * from './sources/datasets/index.js';
export * from './operators/index.js';
