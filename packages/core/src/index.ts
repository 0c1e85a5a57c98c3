export * from './errors.js';
export * from './identifiers.js';
export * from './prompt.js';
export * from './models.js';
export * from './image-type.js';
