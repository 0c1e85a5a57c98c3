/**
 * The error classes of the Genimix client, one per cause, all subclasses of {@link GenimixError}.
 *
 * Catch `GenimixError` for everything, or a subclass for one cause:
 * - before any request: {@link GenimixValidationError} (bad input, names the field), and its
 *   {@link GenimixTooLargeError} (upload data over the size cap);
 * - the server answered with an error status: {@link GenimixApiError} and its subclasses
 *   ({@link GenimixBadRequestError} 400/422, {@link GenimixAuthenticationError} 401,
 *   {@link GenimixPermissionError} 403, {@link GenimixNotFoundError} 404,
 *   {@link GenimixPayloadTooLargeError} 413, {@link GenimixRateLimitError} 402/429,
 *   {@link GenimixServerError} 5xx);
 * - the server answered 2xx with something the contract does not allow: {@link GenimixResponseError};
 * - no answer: {@link GenimixConnectionError}, {@link GenimixTimeoutError}, {@link GenimixAbortError}.
 *
 * Messages never contain the API key: server text is redacted before it is stored.
 */

/** Fields every Genimix error may carry. */
export interface GenimixErrorDetails {
  /** HTTP status of the response, when there was one. */
  status?: number;
  /** The server's request id (`x-request-id` or `request-id` header), when it sent one. */
  requestId?: string;
  /** The server's own message, cut to a short excerpt and redacted. */
  serverMessage?: string;
  /** The underlying error (a socket error, a zod error, ...). */
  cause?: unknown;
}

/** The API call an error comes from, as the client tried it. */
export interface GenimixCallInfo {
  /** Which operation the request was: the image's Generate, Upload, Get or Delete. */
  operation: 'generate' | 'upload' | 'get' | 'delete';
  projectId: string;
  imageId: string;
  /** How many attempts were made, retries included (1 when the first attempt failed for good). */
  attempts: number;
  /** The time allowed for each attempt, in ms. */
  timeoutMs: number;
}

/** Base class of every error this client throws. */
export class GenimixError extends Error {
  override name = 'GenimixError';
  /** HTTP status, when the error comes from a response. */
  readonly status: number | undefined;
  /** The server's request id, when it sent one: quote it to Genimix support. */
  readonly requestId: string | undefined;
  /** The server's message (excerpt, redacted), when it sent one. */
  readonly serverMessage: string | undefined;
  /**
   * The call that failed (operation, ids, attempts made, time per attempt), set by the client as
   * the error leaves a request; undefined for errors raised before any request (bad input).
   */
  call: GenimixCallInfo | undefined;

  constructor(message: string, details: GenimixErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.requestId = details.requestId;
    this.serverMessage = details.serverMessage;
  }
}

/** Bad input, refused before anything was sent. `field` names the parameter to fix. */
export class GenimixValidationError extends GenimixError {
  override name = 'GenimixValidationError';
  /** The input field at fault, e.g. `imageId`, `prompt`, `data`, `contentType`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/**
 * Upload data larger than the accepted size, refused before anything was sent (field `data`).
 * Carries the numbers, so that a host can word it in its own terms (n8n names the binary field).
 */
export class GenimixTooLargeError extends GenimixValidationError {
  override name = 'GenimixTooLargeError';
  /** The data's size in bytes; undefined when it was counted only until it passed the limit. */
  readonly size: number | undefined;
  /** The largest size accepted, in bytes. */
  readonly limitBytes: number;
  constructor(message: string, limitBytes: number, size?: number) {
    super('data', message);
    this.size = size;
    this.limitBytes = limitBytes;
  }
}

/** The server answered with an error status (4xx/5xx). `status` is always set. */
export class GenimixApiError extends GenimixError {
  override name = 'GenimixApiError';
  declare readonly status: number;
  /**
   * How long the server asked to wait, in ms, from `Retry-After` (seconds or an HTTP date) or
   * `retry-after-ms`; undefined when it did not say. Sent with 429 and 503.
   */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, details: GenimixErrorDetails & { retryAfterMs?: number | undefined } = {}) {
    super(message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** 400 or 422: the server refused the request's content. */
export class GenimixBadRequestError extends GenimixApiError {
  override name = 'GenimixBadRequestError';
}

/** 401: no API key, or a wrong one. */
export class GenimixAuthenticationError extends GenimixApiError {
  override name = 'GenimixAuthenticationError';
}

/** 403: the API key is valid but may not do this (another project, a plan limit). */
export class GenimixPermissionError extends GenimixApiError {
  override name = 'GenimixPermissionError';
}

/** 404: no such image (or project). */
export class GenimixNotFoundError extends GenimixApiError {
  override name = 'GenimixNotFoundError';
}

/** 413: the upload is larger than the server accepts. */
export class GenimixPayloadTooLargeError extends GenimixApiError {
  override name = 'GenimixPayloadTooLargeError';
}

/** 429 (rate limit) or 402 (quota used up). `retryAfterMs` is the server's `Retry-After`, when sent. */
export class GenimixRateLimitError extends GenimixApiError {
  override name = 'GenimixRateLimitError';
}

/** 5xx: the server (or a proxy in front of it) failed. */
export class GenimixServerError extends GenimixApiError {
  override name = 'GenimixServerError';
}

/** A 2xx response that breaks the contract: wrong JSON shape, not an image, cut off, too large. */
export class GenimixResponseError extends GenimixError {
  override name = 'GenimixResponseError';
  /**
   * Set when the body was larger than the caller's limit: that limit, in bytes (e.g. `getImage`'s
   * `maxBytes`). A caller whose user cannot change the limit can say what to do instead.
   */
  readonly limitBytes: number | undefined;
  constructor(message: string, details: GenimixErrorDetails & { limitBytes?: number } = {}) {
    super(message, details);
    this.limitBytes = details.limitBytes;
  }
}

/** The request got no response: connection refused or reset, DNS failure, TLS failure. */
export class GenimixConnectionError extends GenimixError {
  override name = 'GenimixConnectionError';
  /** The system or undici error code (`ECONNREFUSED`, `ENOTFOUND`, `UND_ERR_SOCKET`, ...), when known. */
  readonly code: string | undefined;
  constructor(message: string, details: GenimixErrorDetails & { code?: string } = {}) {
    super(message, details);
    this.code = details.code;
  }
}

/** The request took longer than its `timeoutMs`. */
export class GenimixTimeoutError extends GenimixError {
  override name = 'GenimixTimeoutError';
}

/** The caller's `AbortSignal` cancelled the request. */
export class GenimixAbortError extends GenimixError {
  override name = 'GenimixAbortError';
}
