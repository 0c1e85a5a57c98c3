import {
  GenimixAbortError,
  GenimixConnectionError,
  GenimixError,
  GenimixTimeoutError,
  type TransportRequest,
} from '@genimix/core';

/** Codes that name a timeout in axios (which n8n's helpers use) and Node. */
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/**
 * The core error for a failure of n8n's HTTP helpers (which wrap axios errors in a NodeApiError
 * whose `cause` or `context` keeps the original): connection, timeout or abort.
 */
export function mapHelperError(error: unknown, req: TransportRequest): GenimixError {
  if (error instanceof GenimixError) return error;
  const where = originOf(req.url);
  if (req.signal?.aborted) return new GenimixAbortError(`${req.method} ${where} was cancelled.`, { cause: error });
  const code = findCode(error);
  if (code === 'ERR_CANCELED') return new GenimixAbortError(`${req.method} ${where} was cancelled.`, { cause: error });
  if (code && TIMEOUT_CODES.has(code)) {
    return new GenimixTimeoutError(
      `${req.method} ${where} timed out${req.timeoutMs === undefined ? '' : ` after ${req.timeoutMs} ms`}.`,
      { cause: error },
    );
  }
  const detail = code || (error instanceof Error ? error.message : String(error));
  return new GenimixConnectionError(`${req.method} ${where} failed: no response (${detail}).`, {
    cause: error,
    ...(code ? { code } : {}),
  });
}

/** The error for a response body that stopped arriving for `req.timeoutMs` (see `toTransportResponse`). */
export function bodyTimeoutError(req: TransportRequest): GenimixTimeoutError {
  return new GenimixTimeoutError(
    `${req.method} ${originOf(req.url)} timed out after ${req.timeoutMs} ms: the server answered, then its body stopped arriving.`,
  );
}

function findCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    const record = current as { code?: unknown; cause?: unknown; context?: { code?: unknown } };
    if (typeof record.code === 'string' && /^[A-Z_]+$/.test(record.code)) return record.code;
    if (typeof record.context?.code === 'string') return record.context.code;
    current = record.cause;
  }
  return undefined;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the Genimix API';
  }
}
