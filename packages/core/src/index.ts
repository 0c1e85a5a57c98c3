export { checkApiKey, checkProjectId, MAX_API_KEY_LENGTH } from './api-key.js';
export type { OpenedBody, ReopenableBody } from './body-source.js';
export { GenimixClient, type GenimixClientOptions } from './client.js';
export { readErrorMessage } from './error-body.js';
export { type ErrorResponse, errorFromResponse, requestIdOf, statusText } from './error-mapping.js';
export * from './errors.js';
export * from './identifiers.js';
export { type IdleTimeoutOptions, withIdleTimeout } from './idle-timeout.js';
export { HEADER_BYTES, type ImageDimensions, imageDimensions } from './image-dimensions.js';
export * from './image-type.js';
export * from './models.js';
export { CREDENTIAL_PROBE_IMAGE_ID, type CredentialCheck } from './operations/check-credentials.js';
export type { ImageRef } from './operations/context.js';
export type { DeleteImageParams, DeleteImageResult } from './operations/delete.js';
export type { GenerateImageParams, GenerateImageResult } from './operations/generate.js';
export type { GetImageParams, GetImageResult } from './operations/get.js';
export type { GetImageStreamParams, GetImageStreamResult } from './operations/get-stream.js';
export type { UploadImageParams, UploadImageResult } from './operations/upload.js';
export * from './prompt.js';
export { REDACTED, Redactor, redact, redactUrl } from './redact.js';
export type { ImageData } from './request-body.js';
export { formatBytes } from './request-body.js';
export * from './request-options.js';
export { parseRetryAfter } from './retry-after.js';
export {
  DEFAULT_MAX_RETRIES,
  isRetryable,
  MAX_RETRY_AFTER_MS,
  mayHaveBeenBilled,
  type RetryClass,
  retryDelayMs,
  surelyNotSent,
} from './retry-policy.js';
export type { GenimixLogger, OpenedFile, Sleep } from './runtime/types.js';
export type { HttpMethod, Transport, TransportRequest, TransportResponse } from './transport.js';
export { createFetchTransport, type FetchTransportOptions } from './transports/fetch.js';
export { buildUrl, DEFAULT_BASE_URL, normalizeBaseUrl } from './url.js';
