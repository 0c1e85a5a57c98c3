import type { TransportResponse } from '@genimix/core';

/** A response n8n's helpers return with `returnFullResponse` / `resolveWithFullResponse`. */
export interface FullResponse {
  statusCode: number;
  headers: Record<string, unknown>;
  body: unknown;
}

/** A core transport response over a body n8n has already read whole. */
export function toTransportResponse(response: FullResponse): TransportResponse {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value === undefined || value === null ? undefined : String(value);
  }
  const bytes = toBytes(response.body);
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
