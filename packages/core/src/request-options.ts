/** Per-call options, the second argument of every client method. */
export interface RequestOptions {
  /** Cancels the call; it then rejects with {@link GenimixAbortError}. */
  signal?: AbortSignal;
  /**
   * Per attempt, in ms: the deadline for sending the request and getting the response headers,
   * then the longest pause while the body arrives. Overrides the client's.
   */
  timeoutMs?: number;
  /** Retries after a failed attempt, for this call; overrides the client's (default 2). */
  maxRetries?: number;
}

/** Per-call options of {@link GenimixClient.getImage}. */
export interface GetImageOptions extends RequestOptions {
  /** The largest image accepted, in bytes (default {@link DEFAULT_MAX_IMAGE_BYTES}). */
  maxBytes?: number;
}

/** Default time allowed for Get, Upload and Delete, in ms. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Default time allowed for Generate, in ms: longer than the rest because the server renders
 * the image with the provider's model before it answers, which takes tens of seconds at times.
 */
export const DEFAULT_GENERATE_TIMEOUT_MS = 180_000;

/** Default largest image {@link GenimixClient.getImage} and uploads accept: 50 MiB, in bytes. */
export const DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024;
