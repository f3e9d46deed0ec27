export * from './collect.js';
export * from './driver-reader.js';
export * from './reader.js';
