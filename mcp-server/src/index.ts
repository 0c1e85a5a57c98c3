export { createGenimixServer, type CreateServerOptions } from './server.js';
export { ConfigError, loadConfig, type ServerConfig } from './config.js';
export { MAX_INLINE_IMAGE_BYTES } from './image-output.js';
