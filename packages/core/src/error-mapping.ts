import { readErrorMessage, serverText } from './error-body.js';
import {
  GenimixApiError,
  GenimixAuthenticationError,
  GenimixBadRequestError,
  type GenimixErrorDetails,
  GenimixNotFoundError,
  GenimixPayloadTooLargeError,
  GenimixPermissionError,
  GenimixRateLimitError,
  GenimixServerError,
} from './errors.js';
import { parseRetryAfter } from './retry-after.js';

/** What the client knows of an error response when it maps it. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** The body read so far (capped by the caller). */
  body: Uint8Array;
  /** The API key, redacted from anything the server said. */
  apiKey?: string;
  /** What was being done, for the message, e.g. `get image "cat"`. */
  action?: string;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** What a caller can do about each status, appended to the message. */
const HINTS: Record<number, string> = {
  401: 'check the API key',
  402: "the plan's quota is used up",
  403: 'the API key may not use this project or model',
  413: 'upload a smaller image',
  429: 'slow down and retry later',
};

/** The reason phrase of an HTTP status (`404` → `Not Found`), or a generic one by class. */
export function statusText(status: number): string {
  return REASONS[status] ?? (status >= 500 ? 'Server Error' : 'HTTP Error');
}

/** The request id a server sent, from `x-request-id` or `request-id`, as printable text of at most 300 characters. */
export function requestIdOf(headers: Record<string, string | undefined>): string | undefined {
  const id = headers['x-request-id'] ?? headers['request-id'];
  return id === undefined ? undefined : serverText(id) || undefined;
}

/**
 * The typed error for an error response (genimix-api.md, "Errors"): 400/422 bad request,
 * 401 authentication, 403 permission, 404 not found, 413 payload too large, 402/429 rate
 * limit (with `retryAfterMs`), 5xx server, anything else {@link GenimixApiError}.
 * The message reads `<status> <reason>: <server message> (<hint>) [request id <id>]`.
 */
export function errorFromResponse(response: ErrorResponse): GenimixApiError {
  const { status, headers } = response;
  const serverMessage = readErrorMessage(response.body, headers['content-type'], response.apiKey);
  const requestId = requestIdOf(headers);
  const reason = statusText(status);
  const hint = HINTS[status];
  const parts = [`${status} ${reason}`];
  if (response.action) parts[0] = `${response.action} failed: ${parts[0]}`;
  let message = parts[0]!;
  if (serverMessage) message += `: ${serverMessage}`;
  if (hint) message += ` (${hint})`;
  if (requestId) message += ` [request id ${requestId}]`;
  const details: GenimixErrorDetails & { retryAfterMs?: number | undefined } = {
    status,
    requestId,
    serverMessage,
    retryAfterMs: parseRetryAfter(headers),
  };

  if (status === 400 || status === 422) return new GenimixBadRequestError(message, details);
  if (status === 401) return new GenimixAuthenticationError(message, details);
  if (status === 403) return new GenimixPermissionError(message, details);
  if (status === 404) return new GenimixNotFoundError(message, details);
  if (status === 413) return new GenimixPayloadTooLargeError(message, details);
  if (status === 402 || status === 429) return new GenimixRateLimitError(message, details);
  if (status >= 500 && status <= 599) return new GenimixServerError(message, details);
  return new GenimixApiError(message, details);
}
