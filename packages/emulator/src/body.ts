import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './respond.js';

/** Thrown when the client went away before its request was complete (its body, or a Generate's latency): nothing to answer. */
export class ClientAbortedError extends Error {
  override name = 'ClientAbortedError';
}

/**
 * How many bytes of an unwanted request body (one answered early, e.g. with 413 or 401) are read
 * and thrown away before the connection is cut instead. Reading them lets the client finish
 * sending and then read the answer; past this much, cutting the connection costs less.
 */
export const DISCARD_LIMIT_BYTES = 64 * 1024 * 1024;

const continued = new WeakSet<IncomingMessage>();

/**
 * True for a request that asked `Expect: 100-continue` and has not been told to go ahead: its
 * client holds the body back, so an early answer must close the connection rather than wait
 * for a body that will not come.
 */
export function awaitingContinue(req: IncomingMessage): boolean {
  return /^100-continue$/i.test(req.headers.expect ?? '') && !continued.has(req);
}

/**
 * The declared `Content-Length` in bytes, or `undefined` for a body without one (chunked).
 *
 * @throws {HttpError} 400 when the header is not a decimal number
 */
export function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  if (!/^\d+$/.test(header)) throw new HttpError(400, 'Content-Length is not a number of bytes.');
  return Number(header);
}

/**
 * Reads the whole request body into memory, never more than `limitBytes`: a declared
 * `Content-Length` over the limit is refused before reading, and the bytes are counted as they
 * arrive for a body without one. Answers `Expect: 100-continue` only once the body is wanted.
 *
 * @param limitBytes the largest body accepted, in bytes
 * @param what names the body in the 413 message, e.g. "upload"
 * @throws {HttpError} 413 past `limitBytes`; 400 for a malformed Content-Length
 * @throws {ClientAbortedError} when the client disconnects before the body is complete
 */
export async function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  limitBytes: number,
  what: string,
): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, `The ${what} is larger than this emulator accepts (${limitBytes} bytes at most).`);
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limitBytes) throw tooLarge();
  if (req.readableEnded) return Buffer.alloc(0);
  // The server hands "Expect: 100-continue" requests to us unanswered (see server.ts), so a client
  // that waits for the go-ahead only sends its body when it is going to be read.
  if (awaitingContinue(req) && !res.headersSent) {
    continued.add(req);
    res.writeContinue();
  }

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limitBytes) {
        cleanup();
        chunks.length = 0;
        // The rest of the body is left to discardRest(), which reads it without keeping it.
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, total));
    };
    const onGone = () => {
      cleanup();
      reject(new ClientAbortedError('The client disconnected before sending the whole request body.'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

/**
 * Reads and drops whatever is left of a request body after an early answer, so the connection can
 * carry the next request; cuts the connection past {@link DISCARD_LIMIT_BYTES} instead. Call it once
 * the response has been sent.
 */
export function discardRest(req: IncomingMessage): void {
  if (req.readableEnded || req.destroyed) return;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) req.socket.destroy();
  });
  // A socket error here only means the client went away; the response is already settled.
  req.on('error', () => {});
  req.resume();
}
