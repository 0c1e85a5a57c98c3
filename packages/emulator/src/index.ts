/**
 * @genimix/emulator: a local, stateful Genimix API emulator, for trying the integrations without
 * an account and for integration tests over loopback, with fault injection for testing clients.
 */
export { createEmulator, DEFAULT_API_KEY, DEFAULT_MAX_UPLOAD_BYTES, type Emulator, type EmulatorOptions } from './emulator.js';
export type { ApiKeys } from './auth.js';
export type { RequestLogEntry } from './server.js';
export type { EmulatorStore, StoredImage } from './store/types.js';
export { IMAGE_SIZE, renderImage, type RenderInput } from './render.js';
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
