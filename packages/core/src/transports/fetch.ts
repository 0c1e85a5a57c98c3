import {
  GenimixAbortError,
  GenimixConnectionError,
  GenimixError,
  GenimixTimeoutError,
  GenimixValidationError,
} from '../errors.js';
import type { Transport, TransportRequest, TransportResponse } from '../transport.js';
import { connectionCode, safeDetail, safeOrigin } from './failure-detail.js';

/** Options of {@link createFetchTransport}. */
export interface FetchTransportOptions {
  /**
   * The `fetch` to send with (an instrumented one, a polyfill, a Worker's service binding's
   * `fetch`). Default: the runtime's global `fetch`, looked up at each request, so that one
   * installed later is used too.
   */
  fetch?: typeof globalThis.fetch;
}

/** A `RequestInit` with `duplex`, which streamed bodies need and older DOM types lack. */
type StreamingRequestInit = RequestInit & { duplex?: 'half' };

/**
 * The transport over the platform's `fetch`: the default on Bun, Deno, Cloudflare Workers and in
 * browsers (and under Node when undici is not installed). Same contract as the undici transport:
 * `timeoutMs` bounds sending the request and receiving the response headers, then each pause
 * while the body arrives; `signal` cancels at any point; a streamed body goes out as a web
 * `ReadableStream` (`duplex: 'half'`) and the response body is read from its web stream. Failures
 * become {@link GenimixConnectionError} (with the socket's `code` where the runtime gives one),
 * {@link GenimixTimeoutError} or {@link GenimixAbortError}, also while the body is read; messages
 * name the origin only.
 *
 * Redirects are not followed (`redirect: 'manual'`, as undici's `request()`): the API key, a
 * custom header, would go along to wherever the redirect points. A response whose body the
 * runtime decoded (`Content-Encoding`) loses its `Content-Length`, which counted the encoded bytes.
 *
 * Chrome streams request bodies over HTTP/2 only: there, upload bytes or a Blob rather than a stream.
 *
 * @throws {GenimixValidationError} field `fetch`: given, and not a function. Its requests throw
 *   one with field `transport` where the runtime has no fetch and none was given.
 */
export function createFetchTransport(options: FetchTransportOptions = {}): Transport {
  const given = options.fetch;
  if (given !== undefined && typeof given !== 'function') {
    throw new GenimixValidationError(
      'fetch',
      `createFetchTransport: fetch must be a fetch function, or left out for the global one; got ${typeof given}.`,
    );
  }
  return {
    async request(req: TransportRequest): Promise<TransportResponse> {
      // Called as a plain function: a browser's fetch called as a method of another object throws
      // "Illegal invocation".
      const send = given ?? globalThis.fetch;
      if (typeof send !== 'function') {
        // Not a connection error, which would be retried: nothing will change by the next attempt.
        throw new GenimixValidationError(
          'transport',
          'This runtime has no fetch: pass fetch to createFetchTransport, or another transport to GenimixClient.',
        );
      }
      return new FetchExchange(req).send(send);
    },
  };
}

/** One request and its response body: the timer, the abort wiring and the body's reader. */
class FetchExchange {
  readonly #req: TransportRequest;
  /** Aborts the fetch and its body: on the caller's signal, on our timeout, on `destroy()`. */
  readonly #controller = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** The body was read to its end, cancelled or failed: nothing holds the connection any more. */
  #settled = false;
  readonly #forwardAbort = () => this.#controller.abort(this.#req.signal?.reason);

  constructor(req: TransportRequest) {
    this.#req = req;
  }

  async send(send: typeof globalThis.fetch): Promise<TransportResponse> {
    const req = this.#req;
    if (req.signal?.aborted) throw this.#fail(req.signal.reason);
    req.signal?.addEventListener('abort', this.#forwardAbort, { once: true });
    const upload = req.body === undefined || req.body instanceof Uint8Array ? undefined : toWebStream(req.body);
    const init: StreamingRequestInit = {
      method: req.method,
      headers: upload ? req.headers : withoutLength(req.headers),
      signal: this.#controller.signal,
      redirect: 'manual',
      ...(upload
        ? { body: upload.stream, duplex: 'half' }
        : req.body
          ? { body: req.body as Uint8Array<ArrayBuffer> }
          : {}),
    };
    let response: Response;
    this.#arm();
    try {
      response = await send(req.url, init);
    } catch (error) {
      this.#release();
      // A body fetch gave up on is not read again: close its source (a file, a socket).
      upload?.abandon();
      throw this.#fail(error);
    } finally {
      this.#disarm();
    }
    if (response.type === 'opaqueredirect') {
      // A browser hides a redirect's status and headers: nothing to report but that it happened.
      this.#release();
      throw new GenimixConnectionError(
        `${req.method} ${safeOrigin(req.url)} answered with a redirect, which is not followed (the API key would go with it): use the API's own base URL.`,
      );
    }
    this.#reader = response.body?.getReader();
    if (!this.#reader) this.#finish();
    return {
      status: response.status,
      headers: responseHeaders(response.headers),
      body: this.#body(),
      dump: () => this.#cancel(),
      destroy: () => {
        this.#controller.abort();
        void this.#cancel();
      },
    };
  }

  /** The body's chunks, each read within `timeoutMs`; cancelled when the reader stops early. */
  async *#body(): AsyncGenerator<Uint8Array> {
    const reader = this.#reader;
    try {
      while (reader && !this.#settled) {
        this.#arm();
        const next = await reader.read().finally(() => this.#disarm());
        if (next.done) {
          this.#finish();
          return;
        }
        yield next.value;
      }
    } catch (error) {
      this.#finish();
      throw this.#fail(error);
    } finally {
      // A consumer that stopped early (break, return) leaves the rest unread: free the connection.
      if (!this.#settled) await this.#cancel();
    }
  }

  /** Discards the rest of the body. Safe to call more than once, and while a read waits. */
  async #cancel(): Promise<void> {
    if (this.#settled) return;
    this.#finish();
    await this.#reader?.cancel().catch(() => {});
  }

  #finish(): void {
    this.#settled = true;
    this.#release();
  }

  /** Starts the deadline (before the headers) or the idle timer (before each piece of the body). */
  #arm(): void {
    const { timeoutMs } = this.#req;
    if (timeoutMs === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort();
    }, timeoutMs);
    // A pending request keeps Node's event loop alive by its socket; the timer need not.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #release(): void {
    this.#disarm();
    this.#req.signal?.removeEventListener('abort', this.#forwardAbort);
  }

  #fail(error: unknown): GenimixError {
    const req = this.#req;
    const found = genimixCause(error);
    if (found) return found;
    const where = safeOrigin(req.url);
    if (req.signal?.aborted) {
      return new GenimixAbortError(`${req.method} ${where} was cancelled.`, { cause: req.signal.reason ?? error });
    }
    if (this.#timedOut) {
      return new GenimixTimeoutError(`${req.method} ${where} timed out after ${req.timeoutMs} ms.`, { cause: error });
    }
    const code = connectionCode(error);
    const detail = code ?? safeDetail(error);
    return new GenimixConnectionError(`${req.method} ${where} failed: no response (${detail}).`, {
      cause: error,
      ...(code ? { code } : {}),
    });
  }
}

/**
 * A Genimix error somewhere in the cause chain: one the request body's source threw (an upload
 * whose bytes did not match its size), which fetch wraps in a TypeError of its own.
 */
function genimixCause(error: unknown): GenimixError | undefined {
  let current = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    if (current instanceof GenimixError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** An async iterable of bytes as a web stream, pulled one piece at a time as fetch sends it. */
function toWebStream(source: AsyncIterable<Uint8Array>): { stream: ReadableStream<Uint8Array>; abandon(): void } {
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  const abandon = () => {
    if (done) return;
    done = true;
    // Ends a Node stream (a file's descriptor) or a generator's finally blocks.
    void Promise.resolve(iterator.return?.()).catch(() => {});
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          controller.close();
        } else controller.enqueue(next.value);
      },
      cancel: abandon,
    },
    // No read-ahead: a piece is taken from the source only when fetch is ready to send it.
    { highWaterMark: 0 },
  );
  return { stream, abandon };
}

/**
 * The headers without `Content-Length`, which fetch sets itself for bytes (Node's refuses a
 * second one). A streamed body keeps it: Node and Bun send it in place of chunked encoding, so
 * that the server knows the size before the bytes arrive; browsers and Deno drop it.
 */
function withoutLength(headers: Record<string, string>): Record<string, string> {
  if (!('content-length' in headers)) return headers;
  const { 'content-length': _, ...rest } = headers;
  return rest;
}

/** Header names in lower case (as `Headers` gives them), repeated ones joined with `, `. */
function responseHeaders(headers: Headers): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  // fetch hands out the decoded body: a length that counted the encoded bytes would not match it.
  const encoding = out['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') delete out['content-length'];
  return out;
}
