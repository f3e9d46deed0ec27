export * from './github.js';
export * from './gitlab.js';
export * from './json.js';
export * from './markdown.js';
export * from './render.js';
export * from './sarif.js';
export * from './tty.js';
