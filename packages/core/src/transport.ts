/**
 * The small HTTP interface the client speaks through. The core ships an undici transport for
 * Node (`@genimix/core/undici`, the default there); a host with its own HTTP stack (n8n's
 * `httpRequestWithAuthentication`, a test double) supplies another.
 *
 * A transport does no retries, no status handling and no auth: it sends what it is given and
 * reports what came back. It maps its own failures to the core's error classes:
 * {@link GenimixConnectionError} (no response), {@link GenimixTimeoutError} (`timeoutMs`
 * passed), {@link GenimixAbortError} (`signal` aborted).
 */

/** HTTP methods the Genimix API uses. */
export type HttpMethod = 'GET' | 'PUT' | 'DELETE';

/** One request, fully built by the client. */
export interface TransportRequest {
  method: HttpMethod;
  /** Absolute URL, already percent-encoded. */
  url: string;
  /** Header names in lower case; includes `x-api-key`. */
  headers: Record<string, string>;
  /**
   * The request body, if any: bytes, or a stream of them (a Node `Readable` is passed through
   * as it is, so that a host's HTTP stack can pipe it without buffering).
   */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  /** Cancels the request and its body. */
  signal?: AbortSignal;
  /**
   * In ms: the deadline for sending the request and receiving the response headers, then the
   * longest pause allowed between two pieces of the body (an idle timeout, so that a large body
   * that keeps arriving is never cut off).
   */
  timeoutMs?: number;
}

/** The response, with its body not yet read. */
export interface TransportResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  headers: Record<string, string | undefined>;
  /**
   * The body as byte chunks. The client always either reads it to the end or calls
   * {@link TransportResponse.dump}, so a connection is never left holding an unread body.
   */
  body: AsyncIterable<Uint8Array>;
  /** Discards the rest of the body and frees the connection. Safe to call more than once. */
  dump(): Promise<void>;
  /**
   * Destroys the body at once, even while a read waits on a stalled connection (the socket is
   * closed, not reused). Optional: without it, {@link TransportResponse.dump} is used.
   */
  destroy?(): void;
  /**
   * Optional fast path: the whole body at once, used when its `Content-Length` is known and
   * within the caller's cap. Fails like reading `body` would (connection, timeout, abort).
   */
  bytes?(): Promise<Uint8Array>;
}

/** What a host implements to carry the client's requests. */
export interface Transport {
  /**
   * Sends one request and resolves once the response headers arrived.
   * @throws {GenimixConnectionError | GenimixTimeoutError | GenimixAbortError}
   */
  request(request: TransportRequest): Promise<TransportResponse>;
  /** Releases pooled connections, when the transport owns any. */
  close?(): Promise<void>;
}
