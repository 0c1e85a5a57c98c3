/**
 * @genimix/emulator: a local, stateful Genimix API emulator, for trying the integrations without
 * an account and for integration tests over loopback, with fault injection for testing clients,
 * a realistic profile (the real models' image sizes and latencies), and photo-like test images.
 */

export type { ApiKeys } from './auth.js';
export {
  createEmulator,
  DEFAULT_API_KEY,
  DEFAULT_MAX_UPLOAD_BYTES,
  type Emulator,
  type EmulatorOptions,
} from './emulator.js';
export { describeFault, FAULT_SPEC_SYNTAX, FaultSpecError, MALFORMED_PRESETS, parseFaultSpec } from './faults/spec.js';
export type {
  DropFault,
  DropWhen,
  Fault,
  FaultHandle,
  FaultKind,
  FaultScope,
  Faults,
  LatencyFault,
  MalformedFault,
  SlowBodyFault,
  StatusFault,
} from './faults/types.js';
export type { Generations, GenerationTarget, WaitingGeneration } from './generations.js';
export { MAX_LATENCY_MS, parseLatencySpec } from './latency.js';
export { DEFAULT_PROFILE, PROFILE_NAMES, type ProfileName } from './profiles.js';
export { type ImageSize, REALISTIC_MODELS, type RealisticModel, realisticImageSize } from './realistic/models.js';
export { DEFAULT_GRAIN, MAX_PHOTO_PIXELS, MAX_PHOTO_SIDE, type PhotoOptions, renderPhoto } from './realistic/photo.js';
export { renderRealistic } from './realistic/render.js';
export { IMAGE_SIZE, type RenderInput, renderImage } from './render.js';
export { REQUEST_LOG_LIMIT, type RequestLog, type RequestRecord } from './requests.js';
export type { RequestLogEntry } from './server.js';
export type { EmulatorStore, StoredImage } from './store/types.js';
export type { RouteName } from './target.js';
