export {
  ConfigError,
  loadConfig,
  OUTPUT_FOLDER_SETTING,
  SETTINGS,
  type ServerConfig,
  UPLOAD_FOLDERS_SETTING,
} from './config.js';
export { Generations } from './generations.js';
export { DEFAULT_PREVIEW_MAX_BYTES } from './preview.js';
export { IMAGE_URI_TEMPLATE, imageResourceUri } from './resources/image-resource.js';
export { type CreateServerOptions, createGenimixServer, MAX_MESSAGE_BYTES } from './server.js';
