import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/**
 * An error that becomes an HTTP error response: `{ "success": false, "message" }` with `status`.
 * Route code throws it; the server turns it into the response (see {@link sendError}).
 */
export class HttpError extends Error {
  override name = 'HttpError';
  /** HTTP status code, 4xx or 5xx. */
  readonly status: number;
  /** Extra response headers, e.g. `Allow` on a 405. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** A fresh request id for the `x-request-id` header: `req_` and 24 random hex digits. */
export function newRequestId(): string {
  return `req_${randomBytes(12).toString('hex')}`;
}

/**
 * Sends `body` as the whole JSON response with `status`. Does nothing when the response has
 * already started (the caller then destroys the socket, which the client sees as a cut-off reply).
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/** Sends the contract's error body, `{ "success": false, "message": message }`, with `status`. */
export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { success: false, message }, headers);
}
