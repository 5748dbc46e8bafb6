/**
 * ndaflow: stream WebDataset tar shards through RxJS operators, with demand-driven backpressure,
 * exact resume and full accounting. Sources (shards -> samples), operators (decode, batch, NDA and
 * positive augmentations, ...) and sinks (the TF.js backend, the NDA-GAN step).
 */
export * from './sources/index.js';
export * from './sources/datasets/index.js';
export * from './operators/index.js';
export * from './sinks/index.js';
