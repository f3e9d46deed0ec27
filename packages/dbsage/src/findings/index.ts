export * from './context.js';
export * from './discover.js';
export * from './finding.js';
export * from './fingerprint.js';
export * from './registry.js';
