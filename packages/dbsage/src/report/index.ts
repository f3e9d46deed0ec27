export * from './json.js';
export * from './markdown.js';
export * from './render.js';
export * from './sarif.js';
export * from './tty.js';
