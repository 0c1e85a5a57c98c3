import type { z } from 'zod/v4';
import { errorFromResponse, requestIdOf } from './error-mapping.js';
import { GenimixAbortError, GenimixConnectionError, GenimixResponseError, GenimixTimeoutError } from './errors.js';
import { readErrorMessage } from './error-body.js';
import { redact } from './redact.js';
import { concat } from './request-body.js';
import type { HttpMethod, Transport, TransportResponse } from './transport.js';
import { buildUrl } from './url.js';
import { version } from '../package.json';

/** The largest error body read, in bytes: enough for any message, bounded against a huge page. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The largest JSON success body read, in bytes. */
const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** One API call, as an operation describes it. */
export interface ApiCall {
  method: HttpMethod;
  projectId: string;
  kind: 'generate' | 'image';
  imageId: string;
  /** Extra headers (lower-case names), e.g. `content-type`. */
  headers?: Record<string, string>;
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  /** What is being done, for error messages: `generate image "cat"`. */
  action: string;
  signal?: AbortSignal;
  timeoutMs: number;
}

/**
 * Sends API calls through a transport: builds the URL from the base URL (so the API key only
 * ever goes to its origin), adds the key and common headers, and turns error statuses into
 * typed errors. Every response body it hands back is the caller's to read or dump.
 */
export class Requester {
  readonly #apiKey: string;

  constructor(
    readonly baseUrl: string,
    apiKey: string,
    readonly transport: Transport,
  ) {
    this.#apiKey = apiKey;
  }

  /**
   * Sends `call` and returns the 2xx response with its body unread.
   * @throws {GenimixApiError} subclass for an error status (body read and closed)
   * @throws {GenimixConnectionError | GenimixTimeoutError | GenimixAbortError} from the transport
   */
  async send(call: ApiCall): Promise<TransportResponse> {
    const response = await this.transport.request({
      method: call.method,
      url: buildUrl(this.baseUrl, call.projectId, call.kind, call.imageId),
      headers: {
        accept: call.method === 'GET' ? 'image/*, application/json;q=0.5' : 'application/json',
        'user-agent': `genimix-core/${version}`,
        ...call.headers,
        'x-api-key': this.#apiKey,
      },
      ...(call.body === undefined ? {} : { body: call.body }),
      ...(call.signal === undefined ? {} : { signal: call.signal }),
      timeoutMs: call.timeoutMs,
    });
    // A server or proxy may echo the key in any header (a request id, a debug header):
    // redact once here, so that nothing downstream can carry it into an error.
    response.headers = redactHeaders(response.headers, this.#apiKey);
    if (response.status >= 200 && response.status < 300) return response;
    const body = await this.readBody(response, MAX_ERROR_BODY_BYTES, call.action, { truncate: true });
    throw errorFromResponse({ status: response.status, headers: response.headers, body, apiKey: this.#apiKey, action: call.action });
  }

  /**
   * Reads a whole response body.
   * @param maxBytes the largest body accepted, in bytes
   * @param truncate keep the first `maxBytes` and drop the rest instead of failing (error bodies)
   * @param tooLargeHint what the caller can do when the body is over `maxBytes`
   * @throws {GenimixResponseError} past `maxBytes`, or when fewer bytes came than `content-length` said
   * @throws {GenimixConnectionError} when the connection broke mid-body (status set: the server answered)
   */
  async readBody(response: TransportResponse, maxBytes: number, action: string, { truncate = false, tooLargeHint = '' } = {}): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        if (size + chunk.length > maxBytes) {
          if (truncate) {
            chunks.push(chunk.subarray(0, maxBytes - size));
            size = maxBytes;
            break;
          }
          throw new GenimixResponseError(`${action} failed: the response is larger than ${maxBytes} bytes${tooLargeHint ? `; ${tooLargeHint}` : ''}.`, { status: response.status, requestId: requestIdOf(response.headers) });
        }
        chunks.push(chunk);
        size += chunk.length;
      }
    } catch (error) {
      await response.dump().catch(() => {});
      if (error instanceof GenimixResponseError || error instanceof GenimixAbortError || error instanceof GenimixTimeoutError) throw error;
      // The server did answer: say so, since for a billed call "no response" would invite a retry.
      const code = error instanceof GenimixConnectionError ? error.code : undefined;
      throw new GenimixConnectionError(`${action} failed: the server answered ${response.status}, then the connection broke while the body was read${code ? ` (${code})` : ''}.`, { cause: error, status: response.status, requestId: requestIdOf(response.headers), ...(code ? { code } : {}) });
    }
    await response.dump().catch(() => {});
    const declared = response.headers['content-length'];
    if (!truncate && declared !== undefined && /^\d+$/.test(declared) && Number(declared) !== size) {
      throw new GenimixResponseError(`${action} failed: the response was cut off (${size} of ${declared} bytes arrived).`, { status: response.status, requestId: requestIdOf(response.headers) });
    }
    return concat(chunks, size);
  }

  /**
   * Reads a JSON success body and checks it against `schema`.
   * @throws {GenimixResponseError} when the body is not JSON or not of the schema's shape
   */
  async readJson<T>(response: TransportResponse, schema: z.ZodType<T>, action: string): Promise<T> {
    const body = await this.readBody(response, MAX_JSON_BODY_BYTES, action);
    const details = { status: response.status, requestId: requestIdOf(response.headers) };
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(body));
    } catch {
      // No `cause`: a SyntaxError quotes the body, which may hold an echoed key.
      throw new GenimixResponseError(`${action}: the server answered ${response.status} but its body is not JSON: ${this.excerpt(body, response)}`, details);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const said = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).message : undefined;
      const serverMessage = typeof said === 'string' ? redact(said, this.#apiKey) : undefined;
      const problem = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      throw new GenimixResponseError(`${action}: the server answered ${response.status} with an unexpected body (${problem})${serverMessage ? `: ${serverMessage}` : ''}`, { ...details, ...(serverMessage ? { serverMessage } : {}) });
    }
    return parsed.data;
  }

  /** A short, redacted excerpt of a body, for an error message; `an empty body` when there is none. */
  excerpt(body: Uint8Array, response: TransportResponse): string {
    return readErrorMessage(body, response.headers['content-type'], this.#apiKey) ?? 'an empty body';
  }
}

function redactHeaders(headers: Record<string, string | undefined>, secret: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = value === undefined ? undefined : redact(value, secret);
  return out;
}
