/**
 * @genimix/emulator: a local, stateful Genimix API emulator, for trying the integrations without
 * an account and for integration tests over loopback.
 */
export { createEmulator, DEFAULT_API_KEY, DEFAULT_MAX_UPLOAD_BYTES, type Emulator, type EmulatorOptions } from './emulator.js';
export type { ApiKeys } from './auth.js';
export type { RequestLogEntry } from './server.js';
export type { EmulatorStore, StoredImage } from './store/types.js';
export { IMAGE_SIZE, renderImage, type RenderInput } from './render.js';
