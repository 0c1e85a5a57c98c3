import {
  GenimixAbortError,
  GenimixApiError,
  GenimixConnectionError,
  GenimixRateLimitError,
  GenimixResponseError,
  GenimixServerError,
  GenimixTimeoutError,
  GenimixValidationError,
} from './errors.js';

/**
 * How an operation may be retried (genimix-api.md, "Retries"): `idempotent` for Get, Upload and
 * Delete (same id, same result); `billed` for Generate, which is charged per call.
 */
export type RetryClass = 'idempotent' | 'billed';

/** Default number of retries after the first attempt, as openai-node and anthropic-sdk do. */
export const DEFAULT_MAX_RETRIES = 2;

/** The longest `Retry-After` honoured, in ms; a longer one is returned to the caller at once. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** First backoff and its cap, in ms: 0.5 s, 1 s, 2 s, … up to 8 s. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8_000;

/** Connection failures that prove the request never reached the server. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether a failed attempt may be tried again:
 * - idempotent calls: connection errors, timeouts, 408, 429 and 5xx;
 * - billed calls: only a connection that surely never reached the server (refused, DNS), or
 *   429/503 that came with `Retry-After` (the server said so).
 */
export function isRetryable(error: unknown, retryClass: RetryClass): boolean {
  if (retryClass === 'billed') {
    if (error instanceof GenimixConnectionError) return surelyNotSent(error);
    return (
      error instanceof GenimixApiError &&
      (error.status === 429 || error.status === 503) &&
      error.retryAfterMs !== undefined
    );
  }
  if (error instanceof GenimixConnectionError || error instanceof GenimixTimeoutError) return true;
  return (
    error instanceof GenimixApiError &&
    (error.status === 408 || error.status === 429 || (error.status >= 500 && error.status <= 599))
  );
}

/**
 * True when a failure proves the request never reached the server (connection refused, DNS
 * failure), so that a billed call surely was not billed.
 */
export function surelyNotSent(error: unknown): boolean {
  return (
    error instanceof GenimixConnectionError && error.status === undefined && NEVER_SENT_CODES.has(error.code ?? '')
  );
}

/**
 * The wait before retry number `retry` (0 for the first), in ms: the server's `Retry-After` when
 * it sent one, else exponential backoff, 0.5 s × 2^retry capped at 8 s, minus up to 25 % jitter
 * so that many clients do not retry in step.
 */
export function retryDelayMs(error: unknown, retry: number, random: () => number = Math.random): number {
  if (error instanceof GenimixApiError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  return Math.min(BACKOFF_BASE_MS * 2 ** retry, BACKOFF_CAP_MS) * (1 - random() * 0.25);
}

/**
 * True when a failed Generate may have been received, and so billed, by the server: a 5xx (but
 * a 503 with `Retry-After`, where the server said to come back), a timeout, a connection that
 * broke after it may have been sent, a cut-off or malformed answer, a call cancelled in flight.
 * The caller should then check with Get before generating the image again.
 */
export function mayHaveBeenBilled(error: unknown): boolean {
  if (error instanceof GenimixRateLimitError || error instanceof GenimixValidationError) return false;
  if (error instanceof GenimixServerError) return !(error.status === 503 && error.retryAfterMs !== undefined);
  if (error instanceof GenimixConnectionError) return !surelyNotSent(error);
  return (
    error instanceof GenimixTimeoutError || error instanceof GenimixAbortError || error instanceof GenimixResponseError
  );
}
