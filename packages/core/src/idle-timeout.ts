import type { Sleep } from './runtime/types.js';

const IDLE: unique symbol = Symbol('idle');

/** What {@link withIdleTimeout} needs besides the body. */
export interface IdleTimeoutOptions {
  /** The longest pause allowed before each piece of the body, in ms. */
  timeoutMs: number;
  /** The host's wait (n8n forbids timers in nodes: its own `sleep`); must stop when its signal aborts. */
  sleep: Sleep;
  /** Frees the connection when the body stalled (destroys the socket: a read may be waiting on it). */
  onIdle(): void;
  /** The error to throw when the body stalled, e.g. a {@link GenimixTimeoutError} naming the request. */
  error(): Error;
}

/**
 * A response body that fails when no piece of it arrives within `timeoutMs`: the idle part of
 * {@link TransportRequest.timeoutMs} for a host HTTP stack whose own timeout ends with the
 * response headers (n8n's helpers), so that a server that sends headers and then stalls cannot
 * hold a call forever. A body that keeps arriving is never cut off, however long it takes.
 *
 * @throws the error `options.error()` makes, after `options.onIdle()`, when the body stalls
 */
export async function* withIdleTimeout(
  body: AsyncIterable<Uint8Array>,
  options: IdleTimeoutOptions,
): AsyncGenerator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  for (;;) {
    const waiting = new AbortController();
    const next = iterator.next();
    // The wait rejects when it is cut short, once the piece came: the race is settled by then.
    const stalled = options.sleep(options.timeoutMs, waiting.signal).then(
      (): typeof IDLE => IDLE,
      (): typeof IDLE => IDLE,
    );
    let result: IteratorResult<Uint8Array> | typeof IDLE;
    try {
      result = await Promise.race([next, stalled]);
    } finally {
      waiting.abort();
    }
    if (result === IDLE) {
      // The pending read settles once the socket is destroyed: nobody waits for it any more.
      next.catch(() => {});
      options.onIdle();
      throw options.error();
    }
    if (result.done) return;
    yield result.value;
  }
}
