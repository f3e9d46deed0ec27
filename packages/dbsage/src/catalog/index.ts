export * from './introspect.js';
export * from './lookup.js';
export * from './types.js';
