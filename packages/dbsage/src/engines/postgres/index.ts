export * from './capabilities.js';
export * from './client.js';
export * from './connect.js';
export * from './embedded-client.js';
export * from './quote.js';
export * from './server-client.js';
