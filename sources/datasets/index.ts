export * from './convert-options.js';
export * from './read-idx.js';
export * from './encode-png.js';
export * from './write-split.js';
export * from './fashion-mnist.js';
export * from './cifar.js';
export * from './folder.js';
