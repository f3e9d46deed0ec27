export * from './catalog/index.js';
export * from './engines/postgres/index.js';
export * from './errors.js';
export * from './findings/index.js';
export * from './report/index.js';
export * from './sql/extract.js';
export type * from './sql/extract-types.js';
export * from './sql/index.js';
export * from './workload/types.js';
