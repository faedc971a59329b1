export * from './schema.js';
export * from './revision.js';
export * from './validate.js';
export * from './roles.js';
