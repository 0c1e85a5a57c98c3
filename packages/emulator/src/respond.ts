import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/**
 * An error that becomes an HTTP error response: `{ "success": false, "message" }` with `status`.
 * Route code throws it; the server turns it into the reply (see {@link errorReply}).
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

/**
 * A whole response, built before any byte of it is sent. Routes return one instead of writing,
 * so that a fault can send it late, slowly, in part or not at all (see faults/apply.ts).
 */
export interface Reply {
  /** HTTP status code. */
  readonly status: number;
  /**
   * Response headers, `Content-Length` included. `x-request-id` is not here: the server sets it on
   * every response before routing.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** The whole body, `Content-Length` bytes; empty for none. */
  readonly body: Buffer;
}

/** A fresh request id for the `x-request-id` header: `req_` and 24 random hex digits. */
export function newRequestId(): string {
  return `req_${randomBytes(12).toString('hex')}`;
}

/**
 * A reply of `body` bytes (or UTF-8 text) with `status`; `contentType` `null` sends no
 * `Content-Type` at all.
 */
export function bodyReply(
  status: number,
  body: string | Uint8Array,
  contentType: string | null,
  headers: Record<string, string> = {},
): Reply {
  const bytes =
    typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return {
    status,
    headers: {
      ...headers,
      ...(contentType === null ? {} : { 'Content-Type': contentType }),
      'Content-Length': String(bytes.length),
      'Cache-Control': 'no-store',
    },
    body: bytes,
  };
}

/** `value` as a JSON reply with `status`. */
export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return bodyReply(status, JSON.stringify(value), 'application/json; charset=utf-8', headers);
}

/** The contract's error body, `{ "success": false, "message": message }`, with `status`. */
export function errorReply(status: number, message: string, headers: Record<string, string> = {}): Reply {
  return jsonReply(status, { success: false, message }, headers);
}

/**
 * Sends `reply` whole. Does nothing when the response has already started or the connection is
 * gone (the client then sees a cut-off reply, or nothing).
 */
export function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, reply.headers);
  // Node sends no body for HEAD on its own, keeping the headers a GET would get.
  res.end(reply.body);
}
