/**
 * @genimix/emulator: a local, stateful Genimix API emulator, for trying the integrations without
 * an account and for integration tests over loopback, with fault injection for testing clients,
 * a realistic profile (the real models' image sizes and latencies), and photo-like test images.
 */
export { createEmulator, DEFAULT_API_KEY, DEFAULT_MAX_UPLOAD_BYTES, type Emulator, type EmulatorOptions } from './emulator.js';
export type { ApiKeys } from './auth.js';
export type { RequestLogEntry } from './server.js';
export type { EmulatorStore, StoredImage } from './store/types.js';
export { IMAGE_SIZE, renderImage, type RenderInput } from './render.js';
export { DEFAULT_PROFILE, PROFILE_NAMES, type ProfileName } from './profiles.js';
export { MAX_LATENCY_MS, parseLatencySpec } from './latency.js';
export type { GenerationTarget, Generations, WaitingGeneration } from './generations.js';
export { REALISTIC_MODELS, realisticImageSize, type ImageSize, type RealisticModel } from './realistic/models.js';
export { renderRealistic } from './realistic/render.js';
export { DEFAULT_GRAIN, MAX_PHOTO_PIXELS, MAX_PHOTO_SIDE, renderPhoto, type PhotoOptions } from './realistic/photo.js';
export type { RouteName } from './target.js';
export type {
  DropFault,
  DropWhen,
  Fault,
  FaultHandle,
  FaultKind,
  Faults,
  FaultScope,
  LatencyFault,
  MalformedFault,
  SlowBodyFault,
  StatusFault,
} from './faults/types.js';
export { describeFault, FAULT_SPEC_SYNTAX, FaultSpecError, MALFORMED_PRESETS, parseFaultSpec } from './faults/spec.js';
export { REQUEST_LOG_LIMIT, type RequestLog, type RequestRecord } from './requests.js';
