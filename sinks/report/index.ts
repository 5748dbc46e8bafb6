export * from './line-chart-svg.js';
export * from './run-folder.js';
export * from './write-run-report.js';
