import type { z } from 'zod/v4';
import { errorFromResponse, requestIdOf } from './error-mapping.js';
import { GenimixConnectionError, GenimixError, GenimixResponseError } from './errors.js';
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
  body?: Uint8Array;
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
    if (response.status >= 200 && response.status < 300) return response;
    const body = await this.readBody(response, MAX_ERROR_BODY_BYTES, call.action, { truncate: true });
    throw errorFromResponse({ status: response.status, headers: response.headers, body, apiKey: this.#apiKey, action: call.action });
  }

  /**
   * Reads a whole response body.
   * @param maxBytes the largest body accepted, in bytes
   * @param truncate keep the first `maxBytes` and drop the rest instead of failing (error bodies)
   * @throws {GenimixResponseError} past `maxBytes`, or when fewer bytes came than `content-length` said
   * @throws {GenimixConnectionError} when the connection broke mid-body
   */
  async readBody(response: TransportResponse, maxBytes: number, action: string, { truncate = false } = {}): Promise<Uint8Array> {
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
          throw new GenimixResponseError(`${action} failed: the response is larger than ${maxBytes} bytes; raise maxBytes if the image is expected to be this large.`, { status: response.status, requestId: requestIdOf(response.headers) });
        }
        chunks.push(chunk);
        size += chunk.length;
      }
    } catch (error) {
      await response.dump().catch(() => {});
      if (error instanceof GenimixError) throw error;
      throw new GenimixConnectionError(`${action} failed: the connection broke while the response body was read.`, { cause: error, status: response.status, requestId: requestIdOf(response.headers) });
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
    } catch (cause) {
      const excerpt = redact(readErrorMessage(body, response.headers['content-type']) ?? 'an empty body', this.#apiKey);
      throw new GenimixResponseError(`${action}: the server answered ${response.status} but its body is not JSON: ${excerpt}`, { ...details, cause });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const said = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).message : undefined;
      const serverMessage = typeof said === 'string' ? redact(said, this.#apiKey) : undefined;
      const problem = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      throw new GenimixResponseError(`${action}: the server answered ${response.status} with an unexpected body (${problem})${serverMessage ? `: ${serverMessage}` : ''}`, { ...details, ...(serverMessage ? { serverMessage } : {}), cause: parsed.error });
    }
    return parsed.data;
  }
}
