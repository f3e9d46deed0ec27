export * from './parser.js';
export * from './split.js';
