export * from './auroc.js';
export * from './one-class-auroc.js';
export * from './score-images.js';
export * from './corruptions.js';
export * from './ood-sets.js';
export * from './anomaly-report.js';
export * from './ood-protocol.js';
