import { type IdleTimeoutOptions, type TransportResponse, withIdleTimeout } from '@genimix/core';

/** A response n8n's helpers return with `returnFullResponse` / `resolveWithFullResponse`. */
export interface FullResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: unknown;
}

/** The parts of a Node stream (n8n's `encoding: 'stream'` body) the transport uses, duck-typed. */
interface StreamBody extends AsyncIterable<Uint8Array> {
  destroy(): void;
  readonly destroyed: boolean;
}

function isStreamBody(body: unknown): body is StreamBody {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as StreamBody).destroy === 'function' &&
    Symbol.asyncIterator in body
  );
}

/** How long a streamed body may pause, and what a stall is reported as (see {@link withIdleTimeout}). */
export type BodyIdleTimeout = Omit<IdleTimeoutOptions, 'onIdle'>;

/**
 * A core transport response over n8n's: a body stream as it arrives, or one n8n read whole.
 * n8n's `timeout` ends with the response headers: `idle` bounds each pause of a streamed body,
 * as the transport contract's `timeoutMs` asks, or a server that stalls after its headers would
 * hold the item for ever.
 */
export function toTransportResponse(response: FullResponse, idle?: BodyIdleTimeout): TransportResponse {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    headers[name.toLowerCase()] = Array.isArray(value)
      ? value.join(', ')
      : value === undefined || value === null
        ? undefined
        : String(value);
  }
  const body = response.body;
  if (isStreamBody(body)) {
    return {
      status: response.statusCode,
      headers,
      body: idle ? withIdleTimeout(body, { ...idle, onIdle: () => body.destroy() }) : body,
      // Destroying frees the socket at once; the rest of a body nobody wants is not worth reading.
      dump: async () => {
        if (!body.destroyed) body.destroy();
      },
      destroy: () => body.destroy(),
    };
  }
  const bytes = toBytes(body);
  return {
    status: response.statusCode,
    headers,
    body: (async function* () {
      if (bytes.length > 0) yield bytes;
    })(),
    dump: async () => {},
  };
}

function toBytes(body: unknown): Uint8Array {
  if (body === undefined || body === null) return new Uint8Array();
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // n8n parsed it despite `json: false` (some versions do for JSON content types): serialise it back.
  return new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body));
}
