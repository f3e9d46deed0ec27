export * from './build.js';
export * from './data.js';
export * from './replay.js';
export * from './schema.js';
export * from './workload.js';
