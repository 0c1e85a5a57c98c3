import { version } from '../package.json';
import { type AttemptBody, isReopenableBody, openAttempt, type SizedBody } from './body-source.js';
import { readErrorMessage, serverText } from './error-body.js';
import { errorFromResponse, requestIdOf } from './error-mapping.js';
import {
  GenimixAbortError,
  GenimixApiError,
  GenimixConnectionError,
  GenimixError,
  GenimixResponseError,
  GenimixTimeoutError,
} from './errors.js';
import { Redactor } from './redact.js';
import { concat } from './request-body.js';
import { isRetryable, MAX_RETRY_AFTER_MS, type RetryClass, retryDelayMs } from './retry-policy.js';
import type { GenimixLogger, Sleep } from './runtime/types.js';
import { loadSchema, type SchemaName, type SchemaShapes } from './schema-loader.js';
import type { HttpMethod, Transport, TransportResponse } from './transport.js';
import { buildUrl } from './url.js';

/** The largest error body read, in bytes: enough for any message, bounded against a huge page. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The largest JSON success body read, in bytes. */
const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** One decoder for every body: creating one per response costs more than the decoding. */
const UTF8 = new TextDecoder();

/** One API call, as an operation describes it. */
export interface ApiCall {
  method: HttpMethod;
  projectId: string;
  kind: 'generate' | 'image';
  imageId: string;
  /** Extra headers (lower-case names), e.g. `content-type`. */
  headers?: Record<string, string>;
  /** Bytes; a {@link SizedBody}, opened afresh for each attempt; or a one-time stream (never retried). */
  body?: Uint8Array | SizedBody | AsyncIterable<Uint8Array>;
  /** What is being done, for error messages: `generate image "cat"`. */
  action: string;
  /** Which failures may be retried (genimix-api.md, "Retries"). */
  retryClass: RetryClass;
  /** Retries after the first attempt. */
  maxRetries: number;
  signal?: AbortSignal | undefined;
  /** Time allowed for each attempt, in ms. */
  timeoutMs: number;
  /** Send no `x-api-key`: only {@link Requester.probe} of a credential check does, to see the server refuse it. */
  withoutKey?: boolean;
}

/** A response read whole (its body capped), whatever its status: what {@link Requester.probe} returns. */
export interface ProbeResponse {
  status: number;
  /** Header names in lower case, the API key redacted. */
  headers: Record<string, string | undefined>;
  /** The first 64 KiB of the body at most. */
  body: Uint8Array;
}

/** A call as one attempt sends it: its body bytes or a stream, a re-openable body already opened. */
export type SentCall = ApiCall & { body?: Uint8Array | AsyncIterable<Uint8Array> | undefined };

/** What the requester is built with. */
export interface RequesterOptions {
  baseUrl: string;
  apiKey: string;
  transport: Transport;
  sleep: Sleep;
  logger: GenimixLogger | undefined;
}

/**
 * Sends API calls through a transport: builds the URL from the base URL (so the API key only
 * ever goes to its origin), adds the key and common headers, turns error statuses into typed
 * errors, and retries what the contract allows. Every response body is read or dumped.
 */
export class Requester {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #transport: Transport;
  readonly #sleep: Sleep;
  readonly #logger: GenimixLogger | undefined;
  readonly #redactor: Redactor;

  constructor(options: RequesterOptions) {
    this.baseUrl = options.baseUrl;
    this.#apiKey = options.apiKey;
    this.#redactor = new Redactor(options.apiKey);
    this.#transport = options.transport;
    this.#sleep = options.sleep;
    this.#logger = options.logger;
  }

  /**
   * Sends `call` and hands the 2xx response to `read`, retrying a failed attempt (the request or
   * `read`) when the contract allows and the body can be sent again (bytes, or a body opened
   * afresh for each attempt; not a one-time stream), after `Retry-After` (up to 60 s) or
   * exponential backoff with jitter. A `Retry-After` over 60 s returns the error at once, with
   * its `retryAfterMs`.
   *
   * @throws {GenimixApiError} subclass for an error status, after any retries
   * @throws {GenimixConnectionError | GenimixTimeoutError} after any retries
   * @throws {GenimixAbortError} as soon as `signal` aborts, also during a wait
   * @throws {GenimixValidationError} field `data` when a re-opened body did not hold its size
   */
  async call<T>(call: ApiCall, read: (response: TransportResponse) => Promise<T>): Promise<T> {
    const replayable = call.body === undefined || call.body instanceof Uint8Array || isReopenableBody(call.body);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(call, attempt, read);
      } catch (error) {
        const retriesLeft = call.maxRetries - (attempt - 1);
        if (call.signal?.aborted || !replayable || retriesLeft <= 0 || !isRetryable(error, call.retryClass))
          throw withCall(error, call, attempt);
        const delay = retryDelayMs(error, attempt - 1);
        if (delay > MAX_RETRY_AFTER_MS) throw withCall(error, call, attempt);
        this.#log(
          () =>
            `${call.method} ${this.#path(call)} retrying in ${Math.round(delay)} ms after ${errorName(error)} (attempt ${attempt} of ${call.maxRetries + 1})`,
        );
        await this.#sleep(delay, call.signal);
      }
    }
  }

  /** One attempt: a re-openable body is opened for it and closed after it, whatever happened. */
  async #attempt<T>(call: ApiCall, attempt: number, read: (response: TransportResponse) => Promise<T>): Promise<T> {
    let opened: AttemptBody | undefined;
    try {
      if (isReopenableBody(call.body)) opened = await openAttempt(call.body as SizedBody);
      const body = opened ? opened.body : (call.body as Uint8Array | AsyncIterable<Uint8Array> | undefined);
      const result = await read(await this.#send({ ...call, body }, attempt));
      if (opened?.mismatch) throw opened.mismatch;
      return result;
    } catch (error) {
      // The transport reports a body that stopped as a broken connection, which would be retried.
      throw opened?.mismatch ?? error;
    } finally {
      opened?.release();
    }
  }

  async #send(call: SentCall, attempt: number): Promise<TransportResponse> {
    const response = await this.#exchange(call, attempt);
    if (response.status >= 200 && response.status < 300) return response;
    const body = await this.readBody(response, MAX_ERROR_BODY_BYTES, call.action, { truncate: true });
    throw errorFromResponse({
      status: response.status,
      headers: response.headers,
      body,
      apiKey: this.#apiKey,
      action: call.action,
    });
  }

  /**
   * Sends `call` once, without retries, and returns the response whatever its status, its body
   * read up to 64 KiB: for checks that judge the status and body themselves.
   * @throws {GenimixConnectionError | GenimixTimeoutError | GenimixAbortError} when no response came
   */
  async probe(call: Omit<ApiCall, 'body'>): Promise<ProbeResponse> {
    const response = await this.#exchange(call, 1);
    const body = await this.readBody(response, MAX_ERROR_BODY_BYTES, call.action, { truncate: true });
    return { status: response.status, headers: response.headers, body };
  }

  async #exchange(call: SentCall, attempt: number): Promise<TransportResponse> {
    if (call.signal?.aborted)
      throw new GenimixAbortError(`${call.action} was cancelled.`, { cause: call.signal.reason });
    const started = Date.now();
    let response: TransportResponse;
    try {
      response = await this.#transport.request({
        method: call.method,
        url: buildUrl(this.baseUrl, call.projectId, call.kind, call.imageId),
        headers: {
          accept: call.method === 'GET' ? 'image/*, application/json;q=0.5' : 'application/json',
          'user-agent': `genimix-core/${version}`,
          ...call.headers,
          ...(call.withoutKey ? {} : { 'x-api-key': this.#apiKey }),
        },
        ...(call.body === undefined ? {} : { body: call.body }),
        ...(call.signal === undefined ? {} : { signal: call.signal }),
        timeoutMs: call.timeoutMs,
      });
    } catch (error) {
      this.#log(
        () =>
          `${call.method} ${this.#path(call)} failed: ${errorName(error)} (attempt ${attempt}, ${Date.now() - started} ms)`,
      );
      throw error;
    }
    // A server or proxy may echo the key in any header (a request id, a debug header):
    // redact once here, so that nothing downstream can carry it into an error.
    response.headers = redactHeaders(response.headers, this.#redactor);
    const requestId = requestIdOf(response.headers);
    this.#log(
      () =>
        `${call.method} ${this.#path(call)} → ${response.status} (attempt ${attempt}, ${Date.now() - started} ms${requestId ? `, request id ${requestId}` : ''})`,
    );
    return response;
  }

  /**
   * Reads a whole response body.
   * @param maxBytes the largest body accepted, in bytes
   * @param truncate keep the first `maxBytes` and drop the rest instead of failing (error bodies)
   * @param tooLargeHint what the caller can do when the body is over `maxBytes`
   * @throws {GenimixResponseError} past `maxBytes`, or when fewer bytes came than `content-length` said
   * @throws {GenimixConnectionError} when the connection broke mid-body (status set: the server answered)
   */
  async readBody(
    response: TransportResponse,
    maxBytes: number,
    action: string,
    { truncate = false, tooLargeHint = '' } = {},
  ): Promise<Uint8Array> {
    const declaredLength = response.headers['content-length'];
    const known = declaredLength !== undefined && /^\d+$/.test(declaredLength) ? Number(declaredLength) : undefined;
    if (response.bytes && known !== undefined && known <= maxBytes)
      return this.#readWhole(response, response.bytes.bind(response), known, action);
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
          throw new GenimixResponseError(
            `${action} failed: the response is larger than ${maxBytes} bytes${tooLargeHint ? `; ${tooLargeHint}` : ''}.`,
            { status: response.status, requestId: requestIdOf(response.headers), limitBytes: maxBytes },
          );
        }
        chunks.push(chunk);
        size += chunk.length;
      }
    } catch (error) {
      await response.dump().catch(() => {});
      if (
        error instanceof GenimixResponseError ||
        error instanceof GenimixAbortError ||
        error instanceof GenimixTimeoutError
      )
        throw error;
      // The server did answer: say so, since for a billed call "no response" would invite a retry.
      const code = error instanceof GenimixConnectionError ? error.code : undefined;
      throw new GenimixConnectionError(
        `${action} failed: the server answered ${response.status}, then the connection broke while the body was read${code ? ` (${code})` : ''}.`,
        { cause: error, status: response.status, requestId: requestIdOf(response.headers), ...(code ? { code } : {}) },
      );
    }
    await response.dump().catch(() => {});
    const declared = response.headers['content-length'];
    if (!truncate && declared !== undefined && /^\d+$/.test(declared) && Number(declared) !== size) {
      throw new GenimixConnectionError(
        `${action} failed: the response was cut off (${size} of ${declared} bytes arrived).`,
        { status: response.status, requestId: requestIdOf(response.headers) },
      );
    }
    return concat(chunks, size);
  }

  /** The body read at once, when its length is known and allowed: much cheaper for small bodies. */
  async #readWhole(
    response: TransportResponse,
    bytes: () => Promise<Uint8Array>,
    length: number,
    action: string,
  ): Promise<Uint8Array> {
    const details = { status: response.status, requestId: requestIdOf(response.headers) };
    let data: Uint8Array;
    try {
      data = await bytes();
    } catch (error) {
      if (error instanceof GenimixAbortError || error instanceof GenimixTimeoutError) throw error;
      const code = error instanceof GenimixConnectionError ? error.code : undefined;
      throw new GenimixConnectionError(
        `${action} failed: the server answered ${response.status}, then the connection broke while the body was read${code ? ` (${code})` : ''}.`,
        { cause: error, ...details, ...(code ? { code } : {}) },
      );
    }
    if (data.length !== length) {
      throw new GenimixConnectionError(
        `${action} failed: the response was cut off (${data.length} of ${length} bytes arrived).`,
        details,
      );
    }
    return data;
  }

  /**
   * Reads a JSON success body and checks it against the schema of `name` (schemas.ts).
   * @throws {GenimixResponseError} when the body is not JSON or not of the schema's shape
   */
  async readJson<N extends SchemaName>(response: TransportResponse, name: N, action: string): Promise<SchemaShapes[N]> {
    const [body, schema] = await Promise.all([this.readBody(response, MAX_JSON_BODY_BYTES, action), loadSchema(name)]);
    const details = { status: response.status, requestId: requestIdOf(response.headers) };
    let value: unknown;
    try {
      value = JSON.parse(UTF8.decode(body));
    } catch {
      // No `cause`: a SyntaxError quotes the body, which may hold an echoed key.
      throw new GenimixResponseError(
        `${action}: the server answered ${response.status} but its body is not JSON: ${this.excerpt(body, response)}`,
        details,
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const said = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).message : undefined;
      const serverMessage = typeof said === 'string' ? serverText(said, this.#apiKey) || undefined : undefined;
      const problem = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      throw new GenimixResponseError(
        `${action}: the server answered ${response.status} with an unexpected body (${problem})${serverMessage ? `: ${serverMessage}` : ''}`,
        { ...details, ...(serverMessage ? { serverMessage } : {}) },
      );
    }
    // A server may echo the key in any field (an imageUrl with it in the query, a message):
    // nothing it says leaves the client with the key in it.
    return this.#redactStrings(parsed.data) as SchemaShapes[N];
  }

  #redactStrings(value: unknown): unknown {
    if (typeof value === 'string')
      return /^https?:\/\//i.test(value) ? this.#redactor.redactUrl(value) : this.#redactor.redact(value);
    if (Array.isArray(value)) return value.map((v) => this.#redactStrings(v));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.#redactStrings(v)]));
    }
    return value;
  }

  /**
   * A URL from a response, fit to show: no credentials, and no part that holds the API key in
   * any form (see {@link Redactor.redactUrl}). The client never fetches such a URL with the key.
   */
  redactUrl(url: string): string {
    return this.#redactor.redactUrl(url);
  }

  /** A short, redacted excerpt of a body, for an error message; `an empty body` when there is none. */
  excerpt(body: Uint8Array, response: Pick<TransportResponse, 'headers'>): string {
    return readErrorMessage(body, response.headers['content-type'], this.#apiKey) ?? 'an empty body';
  }

  #path(call: ApiCall): string {
    return new URL(buildUrl(this.baseUrl, call.projectId, call.kind, call.imageId)).pathname;
  }

  /** Logs the line `message()` builds, built only when there is a logger (it parses a URL). */
  #log(message: () => string): void {
    if (this.#logger) this.#logger.debug(this.#redactor.redact(message()));
  }
}

/** The error, marked with the call it ends (the first mark stands: an inner call knows best). */
function withCall(error: unknown, call: ApiCall, attempts: number): unknown {
  if (error instanceof GenimixError && error.call === undefined) {
    const operation =
      call.kind === 'generate'
        ? 'generate'
        : call.method === 'GET'
          ? 'get'
          : call.method === 'DELETE'
            ? 'delete'
            : 'upload';
    error.call = { operation, projectId: call.projectId, imageId: call.imageId, attempts, timeoutMs: call.timeoutMs };
  }
  return error;
}

function errorName(error: unknown): string {
  if (error instanceof GenimixApiError) return `${error.name} ${error.status}`;
  return error instanceof Error ? error.name : 'error';
}

function redactHeaders(
  headers: Record<string, string | undefined>,
  redactor: Redactor,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers))
    out[name] = value === undefined ? undefined : redactor.redact(value);
  return out;
}
