export * from './finding.js';
export * from './fingerprint.js';
export * from './context.js';
export * from './registry.js';
export * from './discover.js';
