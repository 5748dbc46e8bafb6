export * from './backend/index.js';
export * from './gan/dcgan.js';
export * from './gan/hinge-nda-step.js';
export * from './gan/seeded-init.js';
export * from './gan/generator-ema.js';
